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
        var (code, output) = await AttachTests.DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString());
        Assert.True(code == 0, $"deep attach exited {code}:\n{output}\napp:\n{app.Log}");

        var capture = await api.CreateAsync("Methods.cs", 0, new Dictionary<string, string>
        {
            ["method_name"] = "Square", ["class_name"] = "Pricing", ["stage"] = "method_capture",
        });
        var span = await api.CreateAsync("Methods.cs", 0, new Dictionary<string, string>
        {
            ["method_name"] = "Traced", ["span"] = "method", ["fire_count"] = "-1", ["fire_period"] = "0",
        });

        var snapshot = await server.FirstSnapshotAsync(capture, () => Assert.Equal("81", app.Call("methods square 9")), () => app.Log);
        Assert.Equal("81", snapshot.Capture("return").Value);
        Assert.Equal("null", snapshot.Capture("exception").Value);
        Assert.Equal("9", snapshot.Value("x"));

        await server.FirstSnapshotAsync(span, () => app.Call("methods span-method 4"), () => app.Log);
        Assert.Equal($"result=401;spans=Traced[parent=app-op,trace=same,tp={span},ended=True];after=app-op", app.Call("methods span-method 4"));
    }
}
