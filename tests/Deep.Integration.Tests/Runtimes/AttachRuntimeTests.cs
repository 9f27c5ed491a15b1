using System.Globalization;
using Deep.Integration.Tests.Attach;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Runtimes;

// deep attach into the test app running self-contained on .NET 8 and .NET 9 (started plainly, no deep run): the
// version comes from the app's runtimeconfig.json (its libcoreclr.so path has none), the profiler loads the net8.0
// agent through the app's own hostfxr, and a tracepoint on an async method fires with its hoisted locals.
[Collection(EndToEndCollection.Name)]
public sealed class AttachRuntimeTests
{
    [Theory]
    [InlineData("net8.0", 8)]
    [InlineData("net9.0", 9)]
    public async Task A_self_contained_app_on_an_older_runtime_is_attached_and_serves_a_tracepoint(string runtime, int major)
    {
        await using var server = await TestServer.StartAsync();
        await using var app = PlainProcess.StartExecutable(await Builds.SelfContainedTestAppAsync(runtime));
        Assert.Equal(major, Version.Parse(app.Call("runtime")).Major);
        app.Call("async 4"); // compiled before the attach

        var deep = await Builds.DeepAsync();
        var (code, output) = await Exec.RunAsync(deep, ["attach", app.Id.ToString(CultureInfo.InvariantCulture), "--server", server.GrpcAddress.ToString()],
            environment: new Dictionary<string, string> { ["DEEP_DEBUG"] = "true", ["DEEP_POLL_TIMER"] = "0.2" }, timeout: TimeSpan.FromMinutes(5));

        Assert.True(code == 0, $"deep attach exited {code}:\n{output}\napp:\n{app.Log}");
        Assert.Contains($", .NET {major}.0.", output, StringComparison.Ordinal);
        Assert.Contains("agent started with the profiler engine", output, StringComparison.Ordinal);
        var id = await server.Api.CreateAsync("Shapes.cs", Repo.Line("tests/TestApps/Deep.TestApp/Shapes.cs", "async-after-await"));
        var snapshot = await server.FirstSnapshotAsync(id, () => app.Call("async 4"), () => app.Log);

        // SumAsync(4) on AsyncOrders("async-4"): total = 40, label = "async-4#4", before the line runs.
        Assert.Equal("40", snapshot.Value("total"));
        Assert.Equal("async-4#4", snapshot.Value("label"));
        Assert.Equal("4", snapshot.Value("count"));
    }
}
