using System.Net;
using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using Deep.Protocol.Grpc;
using Deep.Server;
using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Poll.V1;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;

namespace Deep.Benchmarks;

/// <summary>
/// The embedded server end to end over loopback: snapshot ingestion (10 KB snapshots, concurrent senders, each send
/// acknowledged only after its SQLite commit), a plain poll round trip, and how fast a new tracepoint reaches a
/// waiting long poll. One operation = one snapshot / one poll / one wake-up.
/// </summary>
/// <remarks>Run in-process (the server is in the benchmark process anyway): <c>--filter '*ServerIngest*' --inProcess --job short</c>.</remarks>
[MemoryDiagnoser]
public class ServerIngestBenchmarks
{
    private const int SnapshotsPerInvoke = 4000;

    private DeepServer _server = null!;
    private HttpClient[] _grpc = null!;
    private HttpClient _http = null!;
    private byte[] _template = null!;
    private string _currentHash = "";
    private TimeSpan _ingestCpu;
    private long _ingested;

    [Params(16, 64)]
    public int Senders { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "deep-bench-server", Guid.NewGuid().ToString("N"));
        _server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = dir });
        // A few HTTP/2 connections, as several agents would open.
        _grpc = Enumerable.Range(0, 4).Select(_ => new HttpClient
        {
            BaseAddress = _server.GrpcAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        }).ToArray();
        _http = new HttpClient { BaseAddress = _server.HttpAddress };
        _template = TypicalSnapshot().ToByteArray();
        _currentHash = (await PollAsync(null, null)).CurrentHash;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_ingested > 0)
        {
            // CPU per snapshot (client and server together, so an upper bound for the server alone) does not depend on
            // how busy the machine is, unlike wall-clock time: it says what 2 free cores could ingest.
            var perSnapshot = _ingestCpu / _ingested;
            Console.WriteLine($"// ServerIngest CPU: {perSnapshot.TotalMicroseconds:0.0} us CPU per snapshot (client+server), "
                + $"{2 / perSnapshot.TotalSeconds:0} snapshots/s on 2 free cores, senders={Senders}");
        }
        foreach (var c in _grpc) c.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>Snapshots per second = 1 / (time per operation).</summary>
    [Benchmark(OperationsPerInvoke = SnapshotsPerInvoke)]
    public async Task IngestSnapshot10KB()
    {
        var next = -1;
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var workers = Enumerable.Range(0, Senders).Select(async w =>
        {
            var client = _grpc[w % _grpc.Length];
            var body = new byte[_template.Length];
            while (Interlocked.Increment(ref next) < SnapshotsPerInvoke)
            {
                _template.CopyTo(body, 0);
                // A fresh 16-byte id each time (bytes 2..17 of the encoded message: tag, length, id).
                Guid.NewGuid().TryWriteBytes(body.AsSpan(2, 16));
                await SendAsync(client, body);
            }
        });
        await Task.WhenAll(workers);
        _ingestCpu += System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
        _ingested += SnapshotsPerInvoke;
    }

    [Benchmark]
    public async Task<string> PollRoundTrip() => (await PollAsync(_currentHash, null)).CurrentHash;

    /// <summary>
    /// From changing the tracepoints over HTTP to the waiting long poll's answer. One operation = one wake-up; each
    /// invocation adds a tracepoint then removes it, so the list (and the answer) stays the same size.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 2)]
    public async Task LongPollWakeUp()
    {
        var waiting = PollAsync(_currentHash, "30");
        using var create = await _http.PostAsync("/api/tracepoints",
            new StringContent("{\"tracepoint\":{\"path\":\"Bench.cs\",\"lineNumber\":1}}", System.Text.Encoding.UTF8, "application/json"));
        var added = await waiting;
        if (added.ResponseType != ResponseType.Update) throw new InvalidOperationException("the long poll was not woken");
        waiting = PollAsync(added.CurrentHash, "30");
        using var delete = await _http.DeleteAsync("/api/tracepoints/" + added.Response[^1].ID);
        var removed = await waiting;
        if (removed.ResponseType != ResponseType.Update) throw new InvalidOperationException("the long poll was not woken");
        _currentHash = removed.CurrentHash;
    }

    private async Task<PollResponse> PollAsync(string? hash, string? longPoll)
    {
        var request = new PollRequest { TsNanos = 1 };
        if (hash is not null) request.CurrentHash = hash;
        using var message = new HttpRequestMessage(HttpMethod.Post, DeepMethods.Poll)
        {
            Content = Framed(request.ToByteArray()),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (longPoll is not null) message.Headers.Add("deep-long-poll", longPoll);
        using var response = await _grpc[0].SendAsync(message);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return PollResponse.Parser.ParseFrom(bytes.AsSpan(5));
    }

    private static async Task SendAsync(HttpClient client, byte[] body)
    {
        using var response = await client.PostAsync(DeepMethods.SendSnapshot, Framed(body));
        await response.Content.ReadAsByteArrayAsync();
        if (!response.TrailingHeaders.TryGetValues("grpc-status", out var status) || status.First() != "0")
            throw new InvalidOperationException("a send failed");
    }

    private static ByteArrayContent Framed(byte[] message)
    {
        var content = new ByteArrayContent(GrpcFraming.Frame(message));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        return content;
    }

    /// <summary>About 10 KB: a frame with 60 variables, a few watches, resource and attributes.</summary>
    internal static Snapshot TypicalSnapshot()
    {
        var s = new Snapshot
        {
            ID = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
            TsNanos = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000,
            DurationNanos = 85_000,
            Tracepoint = new TracePointConfig { ID = Guid.NewGuid().ToString(), Path = "OrderService.cs", LineNumber = 42 },
        };
        s.Resource.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "shop" } });
        s.Resource.Add(new KeyValue { Key = "host.name", Value = new AnyValue { StringValue = "bench-host" } });
        s.Attributes.Add(new KeyValue { Key = "thread", Value = new AnyValue { StringValue = "worker-7" } });
        var frame = new StackFrame { FileName = "/src/Shop/OrderService.cs", MethodName = "Place", ClassName = "Shop.OrderService", LineNumber = 42 };
        for (var i = 0; i < 60; i++)
        {
            var id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (i < 10) frame.Variables.Add(new VariableID { ID = id, Name = "local" + id });
            s.VarLookup[id] = new Variable { Type = "System.String", Value = new string((char)('a' + i % 26), 110), Hash = "h" + id };
        }
        s.Frames.Add(frame);
        for (var i = 0; i < 8; i++)
            s.Frames.Add(new StackFrame { FileName = "/src/Shop/Caller" + i + ".cs", MethodName = "Call" + i, LineNumber = (uint)(10 + i) });
        s.Watches.Add(new WatchResult { Expression = "order.Total", GoodResult = new VariableID { ID = "1", Name = "order.Total" } });
        return s;
    }
}
