using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Deep.Agent.Capture;
using Deep.Agent.Push;
using Deep.Agent.Settings;
using Deep.Agent.Transport;
using Deep.Protocol;
using Deep.Protocol.Grpc;
using Deep.Server;

namespace Deep.Agent.Tests.Push;

/// <summary>
/// Issue #12 item 4: the send queue against our real server (in-process, HTTP/2 gRPC, SQLite) refusing snapshots in
/// the ways it does: too large for its snapshot limit, too large for its request limit, invalid; and being
/// unreachable, then back. A refused snapshot is dropped once and never holds up the ones behind it.
/// </summary>
public sealed class PushQueueServerTests : IAsyncLifetime
{
    private readonly List<(DeepServer Server, string Data)> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (server, data) in _servers)
        {
            await server.DisposeAsync();
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }

    private async Task<DeepServer> StartServerAsync(int grpcPort = 0, int? maxSnapshotBytes = null)
    {
        var data = Directory.CreateTempSubdirectory("deep-push-").FullName;
        var options = new DeepServerOptions { GrpcPort = grpcPort, HttpPort = 0, DataDirectory = data };
        if (maxSnapshotBytes is { } max) options.MaxSnapshotBytes = max;
        var server = await DeepServer.StartAsync(options);
        _servers.Add((server, data));
        return server;
    }

    private static GrpcDeepTransport Transport(Uri grpcAddress) =>
        new(AgentSettings.FromEnvironment(new Dictionary<string, string?> { ["DEEP_SERVICE_URL"] = grpcAddress.ToString() }));

    private static Snapshot Snap(string tracepointId, int textBytes = 0, int idLength = 16)
    {
        var snapshot = new Snapshot
        {
            ID = Guid.NewGuid().ToByteArray()[..idLength],
            Tracepoint = new TracePointConfig { ID = tracepointId, Path = "Shop/OrderService.cs", LineNumber = 42 },
            TsNanos = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000,
        };
        snapshot.Frames.Add(new StackFrame { FileName = "Shop/OrderService.cs", MethodName = "Place", LineNumber = 42 });
        if (textBytes > 0)
        {
            snapshot.VarLookup["1"] = new Variable { Type = "string", Value = new string('x', textBytes) };
            snapshot.Frames[0].Variables.Add(new VariableID { ID = "1", Name = "text" });
        }
        return snapshot;
    }

    private static async Task<JsonArray> StoredAsync(DeepServer server, string tracepointId)
    {
        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        var body = await http.GetStringAsync($"/api/snapshots?tracepoint={tracepointId}&limit=100");
        return JsonNode.Parse(body)!["snapshots"]!.AsArray();
    }

    private static async Task WaitStoredAsync(DeepServer server, string tracepointId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await StoredAsync(server, tracepointId)).Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{count} snapshot(s) of {tracepointId} never reached the server");
            await Task.Delay(50);
        }
    }

    [Theory]
    [InlineData(6_000_000)] // over the server's snapshot limit (5,000,000): SNAPSHOT_TOO_LARGE
    [InlineData(9_000_000)] // over its 8 MB request limit as well
    public async Task A_snapshot_the_server_refuses_as_too_large_is_dropped_once_and_the_next_one_arrives(int textBytes)
    {
        var server = await StartServerAsync();
        var transport = new CountingTransport(Transport(server.GrpcAddress));
        // No shrinking by the agent here: what does the server do with a snapshot that is too large?
        using var queue = new PushQueue(transport, 10, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200),
            maxAttempts: 3, maxSnapshotBytes: int.MaxValue);
        queue.TryEnqueue(Snap("tp-big", textBytes));
        queue.TryEnqueue(Snap("tp-next"));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(60)));
        await WaitStoredAsync(server, "tp-next", 1);
        Assert.Empty(await StoredAsync(server, "tp-big"));
        Assert.Equal(1, queue.Sent);
        Assert.True(queue.Rejected == 1, $"not refused for its content: {transport.LastError}"); // and so not retried
        Assert.Equal(0, queue.GivenUp);
    }

    [Theory]
    [InlineData(6_000_000)]
    [InlineData(9_000_000)]
    [InlineData(20_000_000)]
    public async Task With_the_agents_size_cap_the_same_snapshot_is_shrunk_marked_and_stored(int textBytes)
    {
        var server = await StartServerAsync();
        using var transport = Transport(server.GrpcAddress);
        using var queue = new PushQueue(transport, 10, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200), maxAttempts: 3);
        queue.TryEnqueue(Snap("tp-big", textBytes));
        queue.TryEnqueue(Snap("tp-next"));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(60)));
        await WaitStoredAsync(server, "tp-big", 1);
        await WaitStoredAsync(server, "tp-next", 1);
        var stored = (await StoredAsync(server, "tp-big"))[0]!;
        var cut = stored["attributes"]!.AsArray().Single(a => (string?)a!["key"] == SnapshotSize.CutAttribute)!["value"]!["stringValue"]!.GetValue<string>();
        Assert.StartsWith($"snapshot size limit of {CaptureLimits.MaxSnapshotBytes} bytes", cut, StringComparison.Ordinal);
        var text = stored["varLookup"]!["1"]!;
        Assert.True(text["truncated"]!.GetValue<bool>());
        Assert.True(text["value"]!.GetValue<string>().Length <= CaptureLimits.MaxSnapshotBytes);
        Assert.Equal(2, queue.Sent);
    }

    [Fact]
    public async Task A_server_with_a_lower_limit_refuses_and_the_queue_moves_on()
    {
        var server = await StartServerAsync(maxSnapshotBytes: 100_000);
        using var transport = Transport(server.GrpcAddress);
        using var queue = new PushQueue(transport, 10, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200), maxAttempts: 3);
        for (var i = 0; i < 3; i++)
        {
            queue.TryEnqueue(Snap("tp-big", 500_000));
            queue.TryEnqueue(Snap("tp-small"));
        }
        Assert.True(queue.Flush(TimeSpan.FromSeconds(60)));
        await WaitStoredAsync(server, "tp-small", 3);
        Assert.Equal(3, queue.Rejected);
        Assert.Equal(3, queue.Sent);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(17)]
    public async Task An_invalid_snapshot_is_refused_once_and_the_next_one_arrives(int idLength)
    {
        var server = await StartServerAsync();
        using var transport = Transport(server.GrpcAddress);
        using var queue = new PushQueue(transport, 10, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200), maxAttempts: 3);
        var invalid = Snap("tp-invalid");
        invalid.ID = new byte[idLength];
        queue.TryEnqueue(invalid);
        queue.TryEnqueue(Snap("tp-next"));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(60)));
        await WaitStoredAsync(server, "tp-next", 1);
        Assert.Equal(1, queue.Rejected);
        Assert.Equal(0, queue.GivenUp);
    }

    [Fact]
    public async Task An_unreachable_server_is_retried_and_everything_arrives_in_order_once_it_is_up()
    {
        var port = FreePort();
        var counting = new CountingTransport(Transport(new Uri($"http://127.0.0.1:{port}")));
        using var queue = new PushQueue(counting, 10, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(300), maxAttempts: 1000);
        for (var i = 0; i < 3; i++) queue.TryEnqueue(Snap("tp-" + i));
        Poll.Until(() => counting.Failures >= 2, "sends failing while the server is down", 30);
        Assert.Equal(0, queue.Sent);

        var server = await StartServerAsync(grpcPort: port);
        Assert.True(queue.Flush(TimeSpan.FromSeconds(60)));
        Assert.Equal(3, queue.Sent);
        Assert.Equal(0, queue.Rejected + queue.GivenUp + queue.Dropped);
        for (var i = 0; i < 3; i++) await WaitStoredAsync(server, "tp-" + i, 1);
        Assert.Equal(["tp-0", "tp-1", "tp-2"], counting.Delivered);
    }

    [Fact]
    public void A_server_that_stays_down_costs_each_snapshot_a_bounded_number_of_attempts()
    {
        var counting = new CountingTransport(Transport(new Uri($"http://127.0.0.1:{FreePort()}")));
        using var queue = new PushQueue(counting, 10, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(20), maxAttempts: 3);
        for (var i = 0; i < 4; i++) queue.TryEnqueue(Snap("tp-" + i));
        Assert.True(queue.Flush(TimeSpan.FromSeconds(60)));
        Assert.Equal(4, queue.GivenUp);
        Assert.Equal(12, counting.Failures);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class CountingTransport(IDeepTransport inner) : IDeepTransport
    {
        private int _failures;

        public RpcException? LastError { get; private set; }
        private readonly List<string> _delivered = [];

        public int Failures => Volatile.Read(ref _failures);

        public IReadOnlyList<string> Delivered
        {
            get
            {
                lock (_delivered) return _delivered.ToList();
            }
        }

        public Task<PollResponse> PollAsync(PollRequest request, TimeSpan? longPoll, TimeSpan timeout, CancellationToken cancellationToken) =>
            inner.PollAsync(request, longPoll, timeout, cancellationToken);

        public async Task SendAsync(Snapshot snapshot, TimeSpan timeout, CancellationToken cancellationToken)
        {
            try
            {
                await inner.SendAsync(snapshot, timeout, cancellationToken);
                lock (_delivered) _delivered.Add(snapshot.Tracepoint!.ID);
            }
            catch (RpcException e)
            {
                LastError = e;
                Interlocked.Increment(ref _failures);
                throw;
            }
        }

        public void Dispose() => inner.Dispose();
    }
}
