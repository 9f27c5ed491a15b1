using System.Globalization;
using Deep.Integration.Tests.Attach;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// Method tracepoints and spans in a process the profiler was attached to (`deep attach`), not started with: the exit
// hooks are the same ReJIT rewrite, so they must behave as under `deep run`.
[Collection(EndToEndCollection.Name)]
public sealed class MethodAttachTests
{
    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task After_deep_attach_a_method_capture_reports_the_return_value_and_a_method_span_nests_and_stops(string configuration)
    {
        await using var server = await TestServer.StartAsync();
        var api = server.Api;
        await using var app = PlainProcess.Start(await Builds.TestAppAsync(configuration));
        var deep = await Builds.DeepAsync();
        var (code, output) = await Exec.RunAsync(deep, ["attach", app.Id.ToString(CultureInfo.InvariantCulture), "--server", server.GrpcAddress.ToString()],
            environment: new Dictionary<string, string> { ["DEEP_POLL_TIMER"] = "0.2", ["DEEP_MAX_SNAPSHOTS_PER_SECOND"] = "-1" },
            timeout: TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"deep attach exited {code}:\n{output}\napp:\n{app.Log}");

        var capture = await api.CreateAsync("Methods.cs", 0, new Dictionary<string, string>
        {
            ["method_name"] = "Square", ["class_name"] = "Pricing", ["stage"] = "method_capture",
        });
        var span = await api.CreateAsync("Methods.cs", 0, new Dictionary<string, string>
        {
            ["method_name"] = "Traced", ["span"] = "method", ["fire_count"] = "-1", ["fire_period"] = "0",
        });

        var snapshot = await FirstAsync(api, capture, () => Assert.Equal("81", app.Call("methods square 9")), () => app.Log);
        Assert.Equal("81", snapshot.Capture("return").Value);
        Assert.Equal("null", snapshot.Capture("exception").Value);
        Assert.Equal("9", snapshot.Value("x"));

        await FirstAsync(api, span, () => app.Call("methods span-method 4"), () => app.Log);
        Assert.Equal($"result=401;spans=Traced[parent=app-op,trace=same,tp={span},ended=True];after=app-op", app.Call("methods span-method 4"));
    }

    private static async Task<Snapshot> FirstAsync(DeepApi api, string tracepointId, Action drive, Func<string> log)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            drive();
            var snapshots = await api.SnapshotsAsync(tracepointId);
            if (snapshots.Count > 0)
            {
                return snapshots[0];
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("no snapshot arrived; the app said:\n" + log());
    }
}
