using Deep.Integration.Tests.Infrastructure;
using Deep.Server;

namespace Deep.Integration.Tests.Attach;

/// <summary>A real server on free loopback ports with its own data folder, removed when disposed.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly DeepServer _server;
    private readonly string _data;

    private TestServer(DeepServer server, string data)
    {
        _server = server;
        _data = data;
        Api = new DeepApi(server.HttpAddress);
    }

    public DeepApi Api { get; }

    public Uri GrpcAddress => _server.GrpcAddress;

    public Uri HttpAddress => _server.HttpAddress;

    /// <summary>
    /// Drives the app until the tracepoint's first snapshot arrives (the agent installs it after its next poll), up
    /// to 60 s; the app's log in the failure.
    /// </summary>
    public async Task<Snapshot> FirstSnapshotAsync(string tracepointId, Action drive, Func<string> log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            drive();
            var snapshots = await Api.SnapshotsAsync(tracepointId);
            if (snapshots.Count > 0)
            {
                return snapshots[0];
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("no snapshot arrived; the app said:\n" + log());
    }

    public static async Task<TestServer> StartAsync()
    {
        var data = Path.Combine(Path.GetTempPath(), "deep-attach-it-" + Guid.NewGuid().ToString("N"));
        var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = data });
        return new TestServer(server, data);
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
