using Deep.Server;

namespace Deep.Integration.Tests.Infrastructure;

/// <summary>
/// One real server (in this process, on free loopback ports) and the test app built in one configuration running
/// under <c>deep run</c> against it. Started once and shared by every test of that configuration.
/// </summary>
internal sealed class AppSession : IAsyncDisposable
{
    private static readonly Dictionary<string, Task<AppSession>> Sessions = [];
    private static readonly object Gate = new();

    private AppSession(string configuration, DeepServer server, DeepRunProcess app, string dataDirectory)
    {
        Configuration = configuration;
        Server = server;
        App = app;
        Api = new DeepApi(server.HttpAddress);
        DataDirectory = dataDirectory;
    }

    public string Configuration { get; }

    public DeepServer Server { get; }

    public DeepRunProcess App { get; }

    public DeepApi Api { get; }

    private string DataDirectory { get; }

    public const string Source = "tests/TestApps/Deep.TestApp/Scenarios.cs";

    /// <summary>The line of a marker in the test app's scenarios.</summary>
    public static int Line(string marker) => Repo.Line(Source, marker);

    public static Task<AppSession> GetAsync(string configuration)
    {
        lock (Gate)
        {
            if (!Sessions.TryGetValue(configuration, out var session))
            {
                Sessions[configuration] = session = StartAsync(configuration);
            }
            return session;
        }
    }

    /// <summary>Stops every session (the collection fixture calls it once at the end).</summary>
    public static async Task DisposeAllAsync()
    {
        Task<AppSession>[] sessions;
        lock (Gate)
        {
            sessions = Sessions.Values.ToArray();
            Sessions.Clear();
        }
        foreach (var session in sessions)
        {
            try
            {
                await (await session).DisposeAsync();
            }
            catch (Exception)
            {
                // A session that failed to start has nothing to stop.
            }
        }
    }

    private static async Task<AppSession> StartAsync(string configuration)
    {
        // "Debug" and "Release" are the .NET 10 builds; "net8.0" and "net9.0" the self-contained Release builds.
        var app = configuration.StartsWith("net", StringComparison.Ordinal)
            ? await Builds.SelfContainedTestAppAsync(configuration)
            : await Builds.TestAppAsync(configuration);
        var data = Path.Combine(Path.GetTempPath(), "deep-it-" + Guid.NewGuid().ToString("N"));
        var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = data });
        var process = await DeepRunProcess.StartAsync(app, ["--server", server.GrpcAddress.ToString(), "--service-name", "testapp-" + configuration.ToLowerInvariant()],
            new Dictionary<string, string?>
            {
                ["DEEP_DEBUG"] = "true",
                ["DEEP_POLL_TIMER"] = "0.2",
                ["DEEP_MAX_SNAPSHOTS_PER_SECOND"] = "-1",
            });
        process.WaitReady();
        var session = new AppSession(configuration, server, process, data);
        await session.WarmUpAsync();
        return session;
    }

    /// <summary>
    /// The very first snapshot in a process pays for JIT-compiling the agent's capture code and can run over the
    /// capture time budget; one throw-away tracepoint gets that out of the way so the tests see steady behaviour.
    /// </summary>
    private async Task WarmUpAsync()
    {
        var id = await Api.CreateAsync("Scenarios.cs", Line("struct-line"), new Dictionary<string, string> { ["fire_count"] = "3", ["fire_period"] = "0" });
        await DriveUntilAsync(id, () => App.Call("struct", 1), s => s.Count >= 3, TimeSpan.FromSeconds(90));
        await Api.DeleteAsync(id);
    }

    /// <summary>Calls <paramref name="drive"/> until <paramref name="done"/> holds for the tracepoint's snapshots.</summary>
    public async Task<IReadOnlyList<Snapshot>> DriveUntilAsync(string tracepointId, Action drive, Func<IReadOnlyList<Snapshot>, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(45));
        IReadOnlyList<Snapshot> snapshots = [];
        while (DateTime.UtcNow < deadline)
        {
            drive();
            snapshots = await Api.SnapshotsAsync(tracepointId);
            if (done(snapshots))
            {
                return snapshots;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the tracepoint's snapshots never met the condition ({snapshots.Count} arrived); {App.Tail}");
    }

    /// <summary>The tracepoint's snapshot count once it stopped changing for a second (sends are asynchronous).</summary>
    public Task<int> SettledCountAsync(string tracepointId) => Api.SettledCountAsync(tracepointId);

    /// <summary>
    /// Waits until every snapshot the agent took before this call is stored: a one-shot marker tracepoint on another
    /// line fires after them, and the agent sends in order on one thread, so once its snapshot is stored so are they.
    /// </summary>
    public async Task WaitForEarlierSnapshotsAsync()
    {
        var marker = await Api.CreateAsync("Scenarios.cs", Line("finally-line"));
        try
        {
            await DriveUntilAsync(marker, () => App.Call("flow", 5), s => s.Count >= 1);
        }
        finally
        {
            await Api.DeleteAsync(marker);
        }
    }

    /// <summary>Waits until the app's output contains <paramref name="text"/> (self-diagnostics go to stderr with DEEP_DEBUG).</summary>
    public async Task WaitForLogAsync(Func<string, bool> found, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (found(App.Log))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the app never logged {what}; it said:\n{App.Log}");
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Server.DisposeAsync();
        Api.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
