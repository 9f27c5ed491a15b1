using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Runtimes;

// A program on a runtime deep does not support (.NET Core 3.1, self-contained: tests/TestApps/OldRuntime). deep run
// refuses it before starting it; the agent's startup hook (the loader, src/Deep.Agent.Loader) and the profiler, loaded
// into it anyway (named by hand, or by deep run through a script it cannot see into), each say so in one line and stay
// out, and the program runs to its end.
[Collection(EndToEndCollection.Name)]
public sealed class UnsupportedRuntimeTests
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? s_app;
    private static string? s_hello;

    private static async Task<string> OldAppAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (s_app is null)
            {
                var output = Path.Combine(AppContext.BaseDirectory, "built", "OldRuntime");
                await Exec.CheckedAsync("dotnet", "publish", Repo.Path("tests", "TestApps", "OldRuntime", "OldRuntime.csproj"), "-c", "Release",
                    "-o", output, "-nologo", "-v", "q", "-clp:ErrorsOnly");
                s_app = Path.Combine(output, "OldRuntime");
            }
            return s_app;
        }
        finally
        {
            Gate.Release();
        }
    }

    [Fact]
    public async Task Deep_run_refuses_a_program_for_an_unsupported_runtime_before_starting_it()
    {
        var deep = await Builds.DeepAsync();
        var app = await OldAppAsync();

        var (code, output) = await Exec.RunAsync(deep, ["run", "--", app], environment: new Dictionary<string, string> { ["DEEP_ROOT"] = Repo.Root },
            timeout: TimeSpan.FromMinutes(2));

        Assert.Equal(11, code); // ExitCodes.UnsupportedRuntime
        Assert.Contains($"deep run: the program runs on .NET 3.1 ({app}.runtimeconfig.json); deep supports .NET 8 to 10", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hello from", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_profiler_in_an_unsupported_runtime_stays_out_in_one_line_and_the_program_runs()
    {
        var app = await OldAppAsync();
        var profiler = (await Exec.CheckedAsync("bash", Repo.Path("scripts", "build-profiler.sh"))).Trim().Split('\n')[^1];

        var (code, output) = await Exec.RunAsync(app, [], environment: new Dictionary<string, string>
        {
            ["CORECLR_ENABLE_PROFILING"] = "1",
            ["CORECLR_PROFILER"] = "{8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}",
            ["CORECLR_PROFILER_PATH"] = profiler,
        }, timeout: TimeSpan.FromMinutes(1));

        Assert.Equal(0, code);
        Assert.Contains("hello from .NET 3.1.", output, StringComparison.Ordinal);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("deep profiler: .NET Core 3.1 or older (it reports 4.0) is not supported (.NET 8 to 10): the profiler stays out of this process",
            Assert.Single(lines, l => l.StartsWith("deep profiler:", StringComparison.Ordinal)).TrimEnd());
    }
    [Fact]
    public async Task The_loader_named_in_DOTNET_STARTUP_HOOKS_keeps_the_agent_out_of_an_unsupported_runtime_in_one_line()
    {
        var app = await OldAppAsync();
        var loader = await LoaderAsync();

        var (code, output) = await Exec.RunAsync(app, [], environment: new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = loader },
            timeout: TimeSpan.FromMinutes(1));

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var version = Assert.Single(lines, l => l.StartsWith("hello from .NET ", StringComparison.Ordinal))["hello from .NET ".Length..];
        Assert.StartsWith("3.1.", version, StringComparison.Ordinal);
        Assert.Equal($"deep agent: .NET {version} is not supported (.NET 8 to 10): the agent stays out of this process",
            Assert.Single(lines, l => l.StartsWith("deep agent:", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    public async Task A_script_under_deep_run_starts_an_unsupported_program_and_the_agent_and_the_profiler_each_stay_out_in_one_line()
    {
        var deep = await Builds.DeepAsync();
        var app = await OldAppAsync();

        // deep run cannot see through a script, so it does not refuse: the agent and the profiler must check for themselves.
        var (code, output) = await Exec.RunAsync(deep, ["run", "--", "/bin/sh", "-c", "exec \"$0\"", app],
            environment: new Dictionary<string, string> { ["DEEP_ROOT"] = Repo.Root }, timeout: TimeSpan.FromMinutes(10));

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(lines, l => l.StartsWith("hello from .NET 3.1.", StringComparison.Ordinal));
        Assert.EndsWith("is not supported (.NET 8 to 10): the agent stays out of this process",
            Assert.Single(lines, l => l.StartsWith("deep agent:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.EndsWith("the profiler stays out of this process",
            Assert.Single(lines, l => l.StartsWith("deep profiler:", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_loader_without_the_agent_next_to_it_says_so_in_one_line_and_a_supported_program_runs()
    {
        var hello = await HelloAppAsync();
        var alone = Path.Combine(AppContext.BaseDirectory, "built", "loader-alone");
        Directory.CreateDirectory(alone);
        var loader = Path.Combine(alone, "Deep.Agent.Loader.dll");
        File.Copy(await LoaderAsync(), loader, overwrite: true);

        var (code, output) = await Exec.RunAsync("dotnet", [hello], environment: new Dictionary<string, string> { ["DOTNET_STARTUP_HOOKS"] = loader },
            timeout: TimeSpan.FromMinutes(1));

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("hello", lines[0]);
        var line = Assert.Single(lines, l => l.StartsWith("deep agent:", StringComparison.Ordinal));
        Assert.StartsWith("deep agent: not started (FileNotFoundException:", line, StringComparison.Ordinal);
        Assert.Contains("Deep.Agent", line, StringComparison.Ordinal);
        Assert.Equal(2, lines.Length);
    }

    // The startup hook exactly as deep run sets it (deep run builds it into .deep/agent first, under its build lock):
    // read back from a shell started by deep run, which is no .NET program, so nothing loads the hook there.
    private static async Task<string> LoaderAsync()
    {
        var deep = await Builds.DeepAsync();
        var (code, output) = await Exec.RunAsync(deep, ["run", "--", "/bin/sh", "-c", "printf '\\nhook=%s\\n' \"$DOTNET_STARTUP_HOOKS\""],
            environment: new Dictionary<string, string> { ["DEEP_ROOT"] = Repo.Root }, timeout: TimeSpan.FromMinutes(10));
        Assert.True(code == 0, output);
        var hook = output.Split('\n').Single(l => l.StartsWith("hook=", StringComparison.Ordinal))["hook=".Length..];
        Assert.EndsWith("Deep.Agent.Loader.dll", hook, StringComparison.Ordinal);
        Assert.True(File.Exists(hook), hook);
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(hook)!, "Deep.Agent.dll")), "Deep.Agent.dll is not next to " + hook);
        return hook;
    }

    private static async Task<string> HelloAppAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (s_hello is null)
            {
                var output = Path.Combine(AppContext.BaseDirectory, "built", "Hello");
                await Exec.CheckedAsync("dotnet", "build", Repo.Path("tests", "TestApps", "Hello", "Hello.csproj"), "-c", "Release",
                    "-o", output, "-nologo", "-v", "q", "-clp:ErrorsOnly");
                s_hello = Path.Combine(output, "Hello.dll");
            }
            return s_hello;
        }
        finally
        {
            Gate.Release();
        }
    }
}
