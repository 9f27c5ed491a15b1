using System.Text.Json.Nodes;
using Deep.Integration.Tests.Attach;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Runtimes;

// Another APM tool's CLR profiler configured in the environment (CORECLR_ENABLE_PROFILING=1 and its CLSID): a
// process loads one profiler only. deep run stops and names it; DeepAgent.Start() in such a process keeps the app
// unharmed and says, in the tracepoint's status on the server, why line tracepoints cannot be installed.
[Collection(EndToEndCollection.Name)]
public sealed class OtherProfilerTests
{
    private const string OtherClsid = "{B4C89B0F-9908-4F73-9F59-0D77C5A06874}";
    private const string OtherPath = "/opt/other-apm/libOtherProfiler.so";

    private static Dictionary<string, string> OtherProfiler => new()
    {
        ["CORECLR_ENABLE_PROFILING"] = "1",
        ["CORECLR_PROFILER"] = OtherClsid,
        ["CORECLR_PROFILER_PATH"] = OtherPath,
    };

    [Fact]
    public async Task Deep_run_stops_naming_the_other_profiler_and_the_way_out_and_does_not_start_the_program()
    {
        var deep = await Builds.DeepAsync();
        var app = await Builds.TestAppAsync("Debug");
        var environment = OtherProfiler;
        environment["DEEP_ROOT"] = Repo.Root;

        var (code, output) = await Exec.RunAsync(deep, ["run", "--", "dotnet", app], environment: environment, timeout: TimeSpan.FromMinutes(2));

        Assert.Equal(12, code); // ExitCodes.ProfilerConflict
        Assert.Contains($"another CLR profiler is configured in this environment: CORECLR_PROFILER={OtherClsid} ({OtherPath})", output, StringComparison.Ordinal);
        Assert.Contains("env -u CORECLR_ENABLE_PROFILING -u CORECLR_PROFILER", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", output, StringComparison.Ordinal); // the test app says "ready" first thing
    }

    [Fact]
    public async Task DeepAgent_Start_in_a_process_with_another_profiler_reports_why_tracepoints_cannot_be_installed_and_the_app_runs()
    {
        await using var server = await TestServer.StartAsync();
        var settings = OtherProfiler;
        settings["DEEP_DEBUG"] = "true";
        settings["DEEP_POLL_TIMER"] = "0.2";
        settings["DEEP_SERVICE_URL"] = server.GrpcAddress.ToString();
        settings["DEEP_PROFILER_PATH"] = (await Exec.CheckedAsync("bash", Repo.Path("scripts", "build-profiler.sh"))).Trim().Split('\n')[^1];
        await using var app = PlainProcess.Start(await AttachTests.SelfAttachAppAsync("Debug"), settings);
        Assert.Contains("out: started True", app.Log, StringComparison.Ordinal);

        int line = Repo.Line("tests/TestApps/SelfAttach/Program.cs", "greet-line");
        var id = await server.Api.CreateAsync("Program.cs", line);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string detail = "";
        while (DateTime.UtcNow < deadline && !detail.Contains("another CLR profiler", StringComparison.Ordinal))
        {
            Assert.Equal("hello ada:27", app.Call("greet ada 3")); // the app is unharmed throughout
            var body = await http.GetStringAsync(new Uri(server.HttpAddress, $"/api/status?tracepoint={id}"));
            detail = string.Join("; ", (JsonNode.Parse(body)!["agents"]?.AsArray() ?? [])
                .SelectMany(a => a!["tracepoints"]!.AsArray())
                .Where(t => t!["id"]!.GetValue<string>() == id)
                .Select(t => t!["state"]!.GetValue<string>() + " " + (t["detail"]?.GetValue<string>() ?? "")));
            await Task.Delay(200);
        }

        Assert.Contains($"another CLR profiler is loaded in this process (CORECLR_PROFILER={OtherClsid} ({OtherPath}))", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("profiler attached to this process", app.Log, StringComparison.Ordinal);
        Assert.Empty(await server.Api.SnapshotsAsync(id));
    }
}
