using System.Globalization;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;
using Deep.Integration.Tests.Tracepoints;

namespace Deep.Integration.Tests.Runtimes;

// The one agent build (net8.0) and the profiler in the test app on every supported runtime: .NET 8 and .NET 9
// self-contained (the runtime from the app's own folder: this machine has only the .NET 10 shared runtime), and
// .NET 10 ("Release", the shared runtime), all under `deep run`. Each test asserts the same values on each runtime,
// computed from the test app's source.
[Collection(EndToEndCollection.Name)]
public sealed class RuntimeTests
{
    public static TheoryData<string> Runtimes => ["net8.0", "net9.0", "Release"];

    private static readonly Dictionary<string, string> EveryHit = new() { ["fire_count"] = "-1", ["fire_period"] = "0" };

    private static int LineOf(string file, string marker) => Repo.Line("tests/TestApps/Deep.TestApp/" + file, marker);

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task The_app_runs_on_that_runtime_with_the_agent_and_the_profiler_loaded(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);

        var version = Version.Parse(session.App.Call("runtime"));
        Assert.Equal(runtime switch { "net8.0" => 8, "net9.0" => 9, _ => 10 }, version.Major);
        Assert.Contains("deep agent started", session.App.Log, StringComparison.Ordinal);
        Assert.Contains("engine ProfilerEngine", session.App.Log, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task A_line_tracepoint_fires_with_this_arguments_and_locals(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);
        var id = await session.Api.CreateAsync("Scenarios.cs", AppSession.Line("orders-loop"), new Dictionary<string, string> { ["fire_count"] = "3", ["fire_period"] = "0" });
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => session.App.Call("orders", 3), s => s.Count >= 3);

            // label = "book-3:3"; before iteration i, sum = Σ_{j<i} ((j+1)*10 + label.Length).
            const string label = "book-3:3";
            var byIteration = snapshots.OrderBy(s => int.Parse(s.Value("i")!, CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(["0", "1", "2"], byIteration.Select(s => s.Value("i")));
            int sum = 0;
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal("3", byIteration[i].Value("count"));
                Assert.Equal(label, byIteration[i].Value("label"));
                Assert.Equal(sum.ToString(CultureInfo.InvariantCulture), byIteration[i].Value("sum"));
                Assert.Equal("OrderBook", byIteration[i].Type("this"));
                sum += (i + 1) * 10 + label.Length;
            }
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task An_async_method_line_shows_its_hoisted_locals_under_their_source_names(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);
        var id = await session.Api.CreateAsync("Shapes.cs", LineOf("Shapes.cs", "async-after-await"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("async", 4), s => s.Count >= 1))[0];

            // SumAsync(4) on AsyncOrders("async-4"): total = 40, label = "async-4#4", before the line runs.
            Assert.Equal("4", snapshot.Value("count"));
            Assert.Equal("40", snapshot.Value("total"));
            Assert.Equal("async-4#4", snapshot.Value("label"));
            Assert.Equal("AsyncOrders", snapshot.Type("this"));
            Assert.True(snapshot.IsAsync());
            Assert.Matches(@"^<total>5__\d+$", snapshot.OriginalName("total"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task Iterator_lambda_and_generic_lines_show_their_values(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);
        var iterator = await session.Api.CreateAsync("Iterators.cs", LineOf("Iterators.cs", "iterator-line"), new Dictionary<string, string> { ["condition"] = "i == 2" });
        var lambda = await session.Api.CreateAsync("Shapes.cs", LineOf("Shapes.cs", "lambda-line"));
        var generic = await session.Api.CreateAsync("Generics.cs", LineOf("Generics.cs", "generic-method-line"), EveryHit);
        try
        {
            // Steps(3) on Countdown("cd3"), second iteration: i = 2, step = 20, total = 30 + 20.
            var step = (await session.DriveUntilAsync(iterator, () => session.App.Call("iterators", 3), s => s.Count >= 1))[0];
            Assert.Equal("2", step.Value("i"));
            Assert.Equal("20", step.Value("step"));
            Assert.Equal("50", step.Value("total"));
            Assert.Equal("cd3", step.Member("this", "Name"));

            // Closures.Run(3): factor = 9, prefix = "p3"; format(4): scaled = 36.
            var closure = (await session.DriveUntilAsync(lambda, () => session.App.Call("closures", 3), s => s.Count >= 1))[0];
            Assert.Equal("4", closure.Value("value"));
            Assert.Equal("36", closure.Value("scaled"));
            Assert.Equal("9", closure.Value("factor"));
            Assert.Equal("p3", closure.Value("prefix"));

            // Generics.Run(3): Describe(3, 3), Describe("s3", 3), Describe(new Money(300, "EUR"), 3).
            var described = await session.DriveUntilAsync(generic, () => session.App.Call("generics", 3), s => s.Select(x => x.Type("item")).Distinct().Count() >= 3);
            Assert.Equal("3", described.First(s => s.Type("item") == "int").Value("item"));
            Assert.Equal("s3", described.First(s => s.Type("item") == "string").Value("item"));
            Assert.Equal("300 EUR", described.First(s => s.Type("item") == "Money").Value("text"));
        }
        finally
        {
            await session.Api.DeleteAsync(iterator);
            await session.Api.DeleteAsync(lambda);
            await session.Api.DeleteAsync(generic);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task A_method_capture_reports_the_return_value_and_an_async_one_the_awaited_value(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);
        var square = await session.Api.CreateAsync("Methods.cs", 0, new Dictionary<string, string> { ["method_name"] = "Square", ["class_name"] = "Pricing", ["stage"] = "method_capture" });
        var price = await session.Api.CreateAsync("AsyncOutcomes.cs", 0, new Dictionary<string, string> { ["method_name"] = "PriceAsync", ["class_name"] = "AsyncOutcomeService", ["stage"] = "method_capture" });
        try
        {
            var squared = (await session.DriveUntilAsync(square, () => Assert.Equal("49", session.App.Call("methods", "square 7")), s => s.Count >= 1))[0];
            Assert.Equal(["return", "exception", "duration"], squared.Captures());
            Assert.Equal("49", squared.Capture("return").Value);
            Assert.Equal("null", squared.Capture("exception").Value);
            Assert.Equal("7", squared.Value("x"));

            // PriceAsync(3) on "svc-3": 3 * 100 + 5, after awaiting Task.Delay(60).
            var priced = (await session.DriveUntilAsync(price, () => Assert.Equal("305", session.App.Call("async-outcome", "price 3")), s => s.Count >= 1))[0];
            Assert.Equal("305", priced.Capture("return").Value);
            Assert.InRange(long.Parse(priced.Capture("duration").Value!, CultureInfo.InvariantCulture), 55_000_000L, 60_000_000_000L);
        }
        finally
        {
            await session.Api.DeleteAsync(square);
            await session.Api.DeleteAsync(price);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task A_method_span_nests_under_the_caller_s_activity(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);
        var id = await session.Api.CreateAsync("Methods.cs", 0, new Dictionary<string, string>
        {
            ["span"] = "method", ["method_name"] = "Traced", ["snapshot"] = "collect", ["fire_count"] = "-1", ["fire_period"] = "0",
        });
        try
        {
            await session.DriveUntilAsync(id, () => session.App.Call("methods", "span-method 2"), s => s.Count >= 1);
            Assert.Equal($"result=201;spans=Traced[parent=app-op,trace=same,tp={id},ended=True];after=app-op", session.App.Call("methods", "span-method 2"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task Counter_and_gauge_metrics_record_the_line_s_value(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);
        var metrics = new JsonArray(
            new JsonObject { ["name"] = $"price_{runtime.Replace('.', '_')}", ["type"] = "GAUGE", ["expression"] = "n" },
            new JsonObject { ["name"] = $"calls_{runtime.Replace('.', '_')}", ["type"] = "COUNTER" });
        var id = await session.Api.CreateAsync("Metrics.cs", LineOf("Metrics.cs", "metric-line"),
            new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0", ["snapshot"] = "no_collect" }, metrics: metrics);
        try
        {
            // Price(4): the gauge holds n = 4, recorded by Gauge<T> on .NET 9+ and by the observable fallback on
            // .NET 8 (which has no Gauge<T>); one call adds 1 to the counter.
            string gauge = runtime == "net8.0" ? "observable-gauge" : "gauge";
            string expected = $"price=41;deep_calls_{runtime.Replace('.', '_')}[counter]=1;deep_price_{runtime.Replace('.', '_')}[{gauge}]=4";
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
            string report;
            while ((report = session.App.Call("metrics", 4)) != expected && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100); // until the probe is installed
            }
            Assert.True(expected == report, $"expected {expected}, the app reported {report}; {session.App.Tail}");
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [MemberData(nameof(Runtimes))]
    public async Task Removing_a_tracepoint_restores_the_method(string runtime)
    {
        var session = await AppSession.GetAsync(runtime);
        var line = AppSession.Line("switch-default");
        var id = await session.Api.CreateAsync("Scenarios.cs", line, EveryHit);
        await session.DriveUntilAsync(id, () => session.App.Call("flow", 5), s => s.Count >= 1);

        await session.Api.DeleteAsync(id);
        await session.WaitForLogAsync(log => log.Contains($"Scenarios.cs:{line} (LineStart) removed", StringComparison.Ordinal), "the probe's removal");
        await session.WaitForEarlierSnapshotsAsync(); // snapshots taken before the removal may still be queued
        var count = (await session.Api.SnapshotsAsync(id)).Count;
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal("try-ok+finally|many4|7", session.App.Call("flow", 5));
        }
        await session.WaitForEarlierSnapshotsAsync();

        Assert.Equal(count, (await session.Api.SnapshotsAsync(id)).Count);
    }
}
