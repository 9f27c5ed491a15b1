using System.Globalization;
using Deep.Agent.Native;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Attach;

// Attach without a restart: a .NET program started plainly (`dotnet app.dll`, no deep run) gets the profiler and the
// agent from `deep attach <pid>`, or attaches the profiler to itself from DeepAgent.Start(); either way a line
// tracepoint created afterwards fires with that line's values. Debug and Release builds of the apps.
[Collection(EndToEndCollection.Name)]
public sealed class AttachTests
{
    private const string SelfAttachSource = "tests/TestApps/SelfAttach/Program.cs";

    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static readonly Dictionary<string, string> Built = [];

    private static Dictionary<string, string> AgentSettings => new()
    {
        ["DEEP_DEBUG"] = "true",
        ["DEEP_POLL_TIMER"] = "0.2",
        ["DEEP_MAX_SNAPSHOTS_PER_SECOND"] = "-1",
    };

    internal static async Task<(int Code, string Output)> DeepAttachAsync(int pid, params string[] arguments)
    {
        var deep = await Builds.DeepAsync();
        return await Exec.RunAsync(deep, ["attach", pid.ToString(CultureInfo.InvariantCulture), .. arguments], environment: AgentSettings,
            timeout: TimeSpan.FromMinutes(5));
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_running_app_attached_with_deep_attach_serves_a_line_tracepoint_with_that_lines_values(string configuration)
    {
        await using var server = await TestServer.StartAsync();
        var api = server.Api;
        await using var app = PlainProcess.Start(await Builds.TestAppAsync(configuration));
        Assert.Equal("<unset>", app.Call("env CORECLR_ENABLE_PROFILING")); // plainly started: no profiler variables

        var (code, output) = await DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString(), "--service-name", "attached-" + configuration);

        Assert.True(code == 0, $"deep attach exited {code}:\n{output}\napp:\n{app.Log}");
        Assert.Contains($"attached to process {app.Id} (dotnet): agent started with the profiler engine", output, StringComparison.Ordinal);
        Assert.Contains("deep attach: profiler attached; waiting for the agent to start", output, StringComparison.Ordinal);
        Assert.Contains("deep attach: agent assembly loaded", output, StringComparison.Ordinal);
        Assert.Equal("attached-" + configuration, app.Call("env DEEP_SERVICE_NAME")); // the options became the agent's settings

        var id = await api.CreateAsync("Scenarios.cs", AppSession.Line("scale-line"));
        var snapshot = await server.FirstSnapshotAsync(id, () => app.Call("scale 4"), () => app.Log);

        Assert.Equal("4", snapshot.Value("value"));
        Assert.Equal("1.5", snapshot.Value("factor"));
        Assert.Equal(AppSession.Line("scale-line"), snapshot.LineNumber);
        Assert.Equal("6", app.Call("scale 4")); // the app's own result is unchanged
    }

    [Fact]
    public async Task An_app_started_by_its_apphost_is_attached_and_serves_a_tracepoint_after_an_await()
    {
        await using var server = await TestServer.StartAsync();
        var apphost = Path.ChangeExtension(await Builds.TestAppAsync("Release"), null); // Deep.TestApp, the native launcher
        Assert.True(File.Exists(apphost), apphost);
        await using var app = PlainProcess.StartExecutable(apphost);
        app.Call("async 4"); // the state machine ran (and was compiled) before the attach

        var (code, output) = await DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString());
        Assert.True(code == 0, $"deep attach exited {code}:\n{output}\napp:\n{app.Log}");
        Assert.Contains($"attached to process {app.Id} (Deep.TestApp)", output, StringComparison.Ordinal);

        var id = await server.Api.CreateAsync("Shapes.cs", Repo.Line("tests/TestApps/Deep.TestApp/Shapes.cs", "async-after-await"));
        var snapshot = await server.FirstSnapshotAsync(id, () => app.Call("async 4"), () => app.Log);

        // SumAsync(4) on AsyncOrders("async-4"): total = 40, label = "async-4#4", before the line runs.
        Assert.Equal("40", snapshot.Value("total"));
        Assert.Equal("async-4#4", snapshot.Value("label"));
        Assert.Equal("4", snapshot.Value("count"));
        Assert.Equal("SumAsync", snapshot.MethodName);
        Assert.True(snapshot.Json["frames"]![0]!["isAsync"]?.GetValue<bool>());
    }

    [Fact]
    public async Task An_app_with_a_TMPDIR_of_its_own_is_found_there_and_attached()
    {
        // The runtime makes its diagnostics socket in the TMPDIR it started with; deep attach runs with another one,
        // so the diagnostics client must look where the target's /proc/<pid>/environ says.
        var tmp = Directory.CreateTempSubdirectory("deep-own-tmp-").FullName;
        try
        {
            await using var server = await TestServer.StartAsync();
            await using var app = PlainProcess.Start(await Builds.TestAppAsync("Debug"), new Dictionary<string, string> { ["TMPDIR"] = tmp });
            Assert.Single(Directory.GetFiles(tmp, $"dotnet-diagnostic-{app.Id}-*-socket"));
            Assert.NotEqual(Path.GetFullPath(tmp), Path.GetFullPath(Path.GetTempPath()));

            var (code, output) = await DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString());

            Assert.True(code == 0, $"deep attach exited {code}:\n{output}\napp:\n{app.Log}");
            Assert.Contains($"attached to process {app.Id} (dotnet): agent started with the profiler engine", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    [Fact]
    public async Task A_method_the_jit_inlined_before_the_attach_still_gets_its_tracepoint()
    {
        await using var server = await TestServer.StartAsync();
        var api = server.Api;
        await using var app = PlainProcess.Start(await Builds.TestAppAsync("Release"));
        // Hot.Add is small and called in a loop: after these runs, before any profiler, the optimised Loop has it inlined.
        for (int i = 0; i < 5; i++)
        {
            app.Call("hot 200000");
        }
        var (code, output) = await DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString());
        Assert.True(code == 0, output);

        var id = await api.CreateAsync("Scenarios.cs", AppSession.Line("hot-add"));
        var snapshot = await server.FirstSnapshotAsync(id, () => app.Call("hot 1000"), () => app.Log);

        Assert.Equal("1", snapshot.Value("b"));
        Assert.NotNull(snapshot.Value("a"));
        Assert.Equal("500500", app.Call("hot 1000")); // Σ_{i<1000} (i + 1)
    }

    [Fact]
    public async Task Attaching_twice_is_refused_by_deep_attach_and_by_the_runtime_itself()
    {
        await using var server = await TestServer.StartAsync();
        await using var app = PlainProcess.Start(await Builds.TestAppAsync("Debug"));
        var (first, firstOutput) = await DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString());
        Assert.True(first == 0, firstOutput);

        var (second, secondOutput) = await DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString());

        Assert.Equal(12, second); // ExitCodes.ProfilerConflict
        Assert.Contains($"deep attach: process {app.Id} already has the deep profiler loaded", secondOutput, StringComparison.Ordinal);

        // Past the CLI's own check, the runtime answers AttachProfiler with CORPROF_E_PROFILER_ALREADY_ACTIVE.
        var socket = DiagnosticsIpc.FindSocket(app.Id, "/tmp");
        Assert.NotNull(socket);
        var profiler = (await Exec.CheckedAsync("bash", Repo.Path("scripts", "build-profiler.sh"))).Trim().Split('\n')[^1];
        var result = DiagnosticsIpc.AttachProfiler(socket, Guid.Parse(ProfilerBridge.ProfilerClsid), profiler, [], TimeSpan.FromSeconds(10));
        Assert.Equal(AttachOutcome.AlreadyActive, result.Outcome);
        Assert.Equal(unchecked((int)0x8013136A), result.HResult);
        Assert.Equal("6", app.Call("scale 4")); // and the app is none the worse
    }

    [Fact]
    public async Task A_refused_attach_reports_the_runtimes_hresult_and_leaves_the_app_running_and_attachable()
    {
        await using var server = await TestServer.StartAsync();
        await using var app = PlainProcess.Start(await Builds.TestAppAsync("Debug"));
        var profiler = (await Exec.CheckedAsync("bash", Repo.Path("scripts", "build-profiler.sh"))).Trim().Split('\n')[^1];
        var socket = DiagnosticsIpc.FindSocket(app.Id, "/tmp");
        Assert.NotNull(socket);

        // A CLSID our library does not serve: its DllGetClassObject refuses, and the runtime answers with an error.
        var refused = DiagnosticsIpc.AttachProfiler(socket, Guid.Parse("00000000-1111-2222-3333-444444444444"), profiler, [], TimeSpan.FromSeconds(10));

        Assert.Equal(AttachOutcome.Refused, refused.Outcome);
        Assert.True(refused.HResult < 0, $"HRESULT 0x{refused.HResult:X8}");
        Assert.Equal($"the runtime refused the profiler (HRESULT 0x{refused.HResult:X8})", refused.Message);
        Assert.Equal("6", app.Call("scale 4"));
        var (code, output) = await DeepAttachAsync(app.Id, "--server", server.GrpcAddress.ToString());
        Assert.True(code == 0, $"deep attach after a refused attach exited {code}:\n{output}\napp:\n{app.Log}");
    }

    [Fact]
    public async Task Attaching_as_another_user_is_permission_denied_with_exit_code_13()
    {
        // The app runs as this user (root here) and deep attach as `nobody`, switched with setpriv, which needs root.
        Assert.True(Environment.UserName == "root", "this test runs deep attach as another user with setpriv: it needs root");
        await using var app = PlainProcess.Start(await Builds.TestAppAsync("Debug"));
        await Builds.DeepAsync(); // builds the CLI that `nobody` then runs
        var cli = Repo.Path(".deep", "cli", "deep.dll");

        var (code, output) = await Exec.RunAsync("setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DEEP_ROOT=" + Repo.Root, "dotnet", cli, "attach", app.Id.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(code == 13, $"exit {code}:\n{output}"); // ExitCodes.PermissionDenied
        Assert.Contains($"deep attach: permission denied on /tmp/dotnet-diagnostic-{app.Id}-", output, StringComparison.Ordinal);
        Assert.Contains($"run deep attach as the user that owns process {app.Id} (or root)", output, StringComparison.Ordinal);
        Assert.Equal("6", app.Call("scale 4"));
    }

    [Fact]
    public async Task Attaching_to_a_process_id_that_does_not_exist_fails_with_exit_code_4()
    {
        int pid = 4_000_000; // above Linux's pid_max limit (2^22): never a process
        var (code, output) = await DeepAttachAsync(pid);

        Assert.Equal(4, code); // ExitCodes.NotFound
        Assert.Contains($"deep attach: there is no process with id {pid}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attaching_to_a_process_that_is_not_dotnet_fails_with_exit_code_10()
    {
        using var sleep = System.Diagnostics.Process.Start("sleep", "120");
        try
        {
            var (code, output) = await DeepAttachAsync(sleep.Id);

            Assert.Equal(10, code); // ExitCodes.NotDotNet
            Assert.Contains($"deep attach: process {sleep.Id} (sleep) is not a .NET process (no libcoreclr.so loaded)", output, StringComparison.Ordinal);
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Fact]
    public async Task Attaching_to_a_dotnet_process_with_diagnostics_disabled_fails_with_exit_code_10()
    {
        await using var app = PlainProcess.Start(await Builds.TestAppAsync("Debug"), new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "0" });

        var (code, output) = await DeepAttachAsync(app.Id);

        Assert.Equal(10, code); // ExitCodes.NotDotNet
        Assert.Contains($"deep attach: process {app.Id} has no diagnostics socket in /tmp", output, StringComparison.Ordinal);
        Assert.Equal("6", app.Call("scale 4"));
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_program_that_calls_DeepAgent_Start_attaches_the_profiler_to_itself_and_a_line_tracepoint_fires(string configuration)
    {
        await using var server = await TestServer.StartAsync();
        var api = server.Api;
        var profiler = (await Exec.CheckedAsync("bash", Repo.Path("scripts", "build-profiler.sh"))).Trim().Split('\n')[^1];
        var settings = AgentSettings;
        settings["DEEP_SERVICE_URL"] = server.GrpcAddress.ToString();
        settings["DEEP_PROFILER_PATH"] = profiler;
        await using var app = PlainProcess.Start(await SelfAttachAppAsync(configuration), settings);
        Assert.Contains("out: started True", app.Log, StringComparison.Ordinal);
        Assert.Contains("profiler attached to this process: " + profiler, app.Log, StringComparison.Ordinal);

        int line = Repo.Line(SelfAttachSource, "greet-line");
        var id = await api.CreateAsync("Program.cs", line);
        var snapshot = await server.FirstSnapshotAsync(id, () => app.Call("greet ada 3"), () => app.Log);

        Assert.Equal("ada", snapshot.Value("name"));
        Assert.Equal("3", snapshot.Value("times"));
        if (configuration == "Debug")
        {
            Assert.Equal("hello ada", snapshot.Value("greeting"));
            Assert.Equal("0", snapshot.Value("length")); // not assigned yet at the start of the line
        }
        else
        {
            // Release: the compiler keeps `greeting` on the evaluation stack (dup), so there is no local to read.
            Assert.Null(snapshot.Value("greeting"));
        }
        Assert.Equal(line, snapshot.LineNumber);
        Assert.Equal("hello ada:27", app.Call("greet ada 3"));
    }

    [Fact]
    public async Task An_app_that_references_the_agent_but_did_not_start_it_is_attached_with_deep_attach()
    {
        await using var server = await TestServer.StartAsync();
        var api = server.Api;
        // DEEP_ENABLED=false: the app's own DeepAgent.Start() starts nothing (and attaches nothing).
        await using var app = PlainProcess.Start(await SelfAttachAppAsync("Debug"), new Dictionary<string, string> { ["DEEP_ENABLED"] = "false" });
        Assert.Contains("out: started False", app.Log, StringComparison.Ordinal);

        var deep = await Builds.DeepAsync();
        var environment = AgentSettings;
        environment["DEEP_ENABLED"] = "true";
        var (code, output) = await Exec.RunAsync(deep, ["attach", app.Id.ToString(CultureInfo.InvariantCulture), "--server", server.GrpcAddress.ToString()],
            environment: environment, timeout: TimeSpan.FromMinutes(5));

        Assert.True(code == 0, $"deep attach exited {code}:\n{output}\napp:\n{app.Log}");
        Assert.Contains("agent started with the profiler engine", output, StringComparison.Ordinal);
        int line = Repo.Line(SelfAttachSource, "greet-line");
        var id = await api.CreateAsync("Program.cs", line);
        var snapshot = await server.FirstSnapshotAsync(id, () => app.Call("greet bob 2"), () => app.Log);
        Assert.Equal("bob", snapshot.Value("name"));
        Assert.Equal("hello bob", snapshot.Value("greeting"));
    }

    internal static async Task<string> SelfAttachAppAsync(string configuration)
    {
        await BuildGate.WaitAsync();
        try
        {
            if (!Built.TryGetValue(configuration, out var dll))
            {
                var output = Path.Combine(AppContext.BaseDirectory, "built", "SelfAttach-" + configuration);
                await Exec.CheckedAsync("dotnet", "build", Repo.Path("tests", "TestApps", "SelfAttach", "SelfAttach.csproj"), "-c", configuration,
                    "-o", output, "-nologo", "-v", "q", "-clp:ErrorsOnly");
                Built[configuration] = dll = Path.Combine(output, "SelfAttach.dll");
            }
            return dll;
        }
        finally
        {
            BuildGate.Release();
        }
    }
}
