using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;
using Deep.Server;

namespace Deep.Integration.Tests.Telemetry;

// The standard telemetry pipeline: tests/TestApps/OtelApp configures the OpenTelemetry .NET SDK (in-memory
// exporters) for its own ActivitySource and for deep's ("deep" for spans and metrics), and runs Orders.Total inside
// its own activity "request". Under deep run, a span=line tracepoint with a counter metric exports a span parented
// under "request" and the counter's sum, and a snapshot on the next line carries "request"'s trace and span ids.
[Collection(EndToEndCollection.Name)]
public sealed class OpenTelemetryTests
{
    private const string Source = "tests/TestApps/OtelApp/Orders.cs";

    [Fact]
    public async Task Tracepoint_spans_and_metrics_leave_through_the_apps_OpenTelemetry_pipeline_under_its_current_span()
    {
        var app = await Builds.OtelAppAsync();
        var data = Path.Combine(Path.GetTempPath(), "deep-otel-" + Guid.NewGuid().ToString("N"));
        await using var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = data });
        using var api = new DeepApi(server.HttpAddress);
        await using var process = await DeepRunProcess.StartAsync(app, ["--server", server.GrpcAddress.ToString(), "--service-name", "otel-app"],
            new Dictionary<string, string?> { ["DEEP_POLL_TIMER"] = "0.2", ["DEEP_MAX_SNAPSHOTS_PER_SECOND"] = "-1" });
        process.WaitReady();

        var everyHit = new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0" };
        var spanned = await api.CreateAsync("Orders.cs", Repo.Line(Source, "otel-span"),
            new Dictionary<string, string>(everyHit) { ["span"] = "line", ["span_name"] = "orders-total", ["snapshot"] = "no_collect" },
            metrics: [new JsonObject { ["name"] = "order_units", ["type"] = "COUNTER", ["expression"] = "n" }]);
        var snapshotted = await api.CreateAsync("Orders.cs", Repo.Line(Source, "otel-snapshot"), everyHit);

        // Both are installed once the snapshot tracepoint fired and a span was exported (they share one method).
        string work = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        IReadOnlyList<Snapshot> snapshots = [];
        while (DateTime.UtcNow < deadline)
        {
            work = process.Call("work", 5);
            snapshots = await api.SnapshotsAsync(snapshotted);
            if (snapshots.Count > 0 && process.Call("spans").Length > 0)
                break;
            await Task.Delay(200);
        }
        Assert.True(snapshots.Count > 0, "no snapshot within 2 minutes\n" + process.Tail);

        // One more request, checked exactly: its span, and its snapshot's ids.
        var before = Spans(process.Call("spans")).Count;
        work = process.Call("work", 5);
        var request = Ids(work);
        Assert.Equal("51", work.Split("total=")[1]);

        var spans = Spans(process.Call("spans"));
        Assert.Equal(before + 1, spans.Count);
        var last = spans[^1];
        Assert.Equal(("orders-total", request.Trace, request.Span, spanned), last);
        Assert.All(spans, s => Assert.Equal("orders-total", s.Name));

        snapshots = await WaitForAsync(() => api.SnapshotsAsync(snapshotted), s => s.Any(x => x.Attribute("span_id") == request.Span));
        var snapshot = snapshots.Single(s => s.Attribute("span_id") == request.Span);
        Assert.Equal(request.Trace, snapshot.Attribute("trace_id"));
        // The argument (a Release build keeps no local for total): the values are those of this very request.
        Assert.True(snapshot.Value("n") == "5", "n is not 5 in " + snapshot.Json.ToJsonString());

        // The counter: 5 per hit, recorded on every hit that exported a span.
        var metrics = process.Call("metrics");
        Assert.Equal($"deep_order_units={5 * spans.Count}", metrics);
    }

    private static (string Trace, string Span) Ids(string work)
    {
        var fields = work.Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
        return (fields["trace"], fields["span"]);
    }

    private static List<(string Name, string Trace, string Parent, string Tracepoint)> Spans(string report) =>
        report.Length == 0 ? [] : report.Split(';').Select(s => s.Split('|')).Select(p => (p[0], p[1], p[2], p[3])).ToList();

    private static async Task<IReadOnlyList<Snapshot>> WaitForAsync(Func<Task<IReadOnlyList<Snapshot>>> read, Func<IReadOnlyList<Snapshot>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var snapshots = await read();
        while (!done(snapshots) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            snapshots = await read();
        }
        return snapshots;
    }
}
