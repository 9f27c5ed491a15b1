using Deep.Agent.Native;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Run;

[Collection(EndToEndCollection.Name)]
public sealed class RunCommandTests
{
    private static async Task<DeepRunProcess> StartAsync(IEnumerable<string>? arguments = null, Dictionary<string, string?>? environment = null)
    {
        var app = await Builds.TestAppAsync("Debug");
        environment ??= [];
        environment.TryAdd("DEEP_ENABLED", "false"); // these tests are about the process, not the agent talking to a server
        var process = await DeepRunProcess.StartAsync(app, arguments ?? ["--server", "http://127.0.0.1:9"], environment);
        process.WaitReady();
        return process;
    }

    [Fact]
    public async Task The_program_gets_the_profiler_and_the_agent_loader_startup_hook()
    {
        await using var app = await StartAsync();

        Assert.Equal("1", app.Call("env", "CORECLR_ENABLE_PROFILING"));
        Assert.Equal(ProfilerBridge.ProfilerClsid, app.Call("env", "CORECLR_PROFILER"));
        var profiler = app.Call("env", "CORECLR_PROFILER_PATH");
        Assert.True(Path.IsPathRooted(profiler), profiler);
        Assert.True(File.Exists(profiler), $"{profiler} does not exist");
        var hook = app.Call("env", "DOTNET_STARTUP_HOOKS");
        Assert.EndsWith("Deep.Agent.Loader.dll", hook, StringComparison.Ordinal);
        Assert.True(File.Exists(hook), $"{hook} does not exist");
    }

    [Fact]
    public async Task Server_and_service_name_options_become_agent_settings_and_other_deep_settings_pass_through()
    {
        await using var app = await StartAsync(["--server", "http://127.0.0.1:9", "--service-name", "orders-api"],
            new Dictionary<string, string?> { ["DEEP_POLL_TIMER"] = "7", ["DEEP_SERVICE_URL"] = "http://overridden:1" });

        Assert.Equal("http://127.0.0.1:9", app.Call("env", "DEEP_SERVICE_URL"));
        Assert.Equal("orders-api", app.Call("env", "DEEP_SERVICE_NAME"));
        Assert.Equal("7", app.Call("env", "DEEP_POLL_TIMER"));
    }

    [Fact]
    public async Task Standard_input_and_output_are_the_programs_own()
    {
        await using var app = await StartAsync();

        Assert.Equal("hello from the test", app.Call("stdin-echo", "hello from the test"));
    }

    [Fact]
    public async Task The_exit_code_is_the_programs()
    {
        await using var app = await StartAsync();

        app.Send("exit 7");

        Assert.Equal(7, await app.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Sigterm_reaches_the_program_and_its_exit_code_comes_back()
    {
        await using var app = await StartAsync();

        Assert.Equal(0, Kill(app.Id, 15));

        Assert.Equal(43, await app.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("out: terminated", app.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_program_that_does_not_exist_fails_with_127_and_says_so()
    {
        var deep = await Builds.DeepAsync();

        var (code, output) = await Exec.RunAsync(deep, ["run", "--", "/no/such/program"],
            environment: new Dictionary<string, string> { ["DEEP_ROOT"] = Repo.Root });

        Assert.Equal(127, code);
        Assert.Contains("'/no/such/program' could not be started", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_to_run_is_a_usage_error()
    {
        var deep = await Builds.DeepAsync();

        var (code, output) = await Exec.RunAsync(deep, ["run"], environment: new Dictionary<string, string> { ["DEEP_ROOT"] = Repo.Root });

        Assert.NotEqual(0, code);
        Assert.Contains("command", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_profiler_path_that_does_not_exist_is_reported_before_anything_runs()
    {
        var deep = await Builds.DeepAsync();

        var (code, output) = await Exec.RunAsync(deep, ["run", "--", "dotnet", "--version"],
            environment: new Dictionary<string, string> { ["DEEP_ROOT"] = Repo.Root, ["DEEP_PROFILER_PATH"] = "/nowhere/Deep.Profiler.so" });

        Assert.Equal(1, code);
        Assert.Contains("'/nowhere/Deep.Profiler.so' does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deep_root_that_is_not_the_repository_is_reported()
    {
        await Builds.DeepAsync();

        // The ./deep script sets DEEP_ROOT itself: call the CLI it built directly, with a wrong one.
        var (code, output) = await Exec.RunAsync("dotnet", [Repo.Path(".deep", "cli", "deep.dll"), "run", "--", "dotnet", "--version"],
            environment: new Dictionary<string, string> { ["DEEP_ROOT"] = Path.GetTempPath() });

        Assert.Equal(2, code);
        Assert.Contains("not the deep-dotnet repository", output, StringComparison.Ordinal);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
