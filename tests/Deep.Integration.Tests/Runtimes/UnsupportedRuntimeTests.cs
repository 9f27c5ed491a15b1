using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Runtimes;

// A program on a runtime deep does not support (.NET Core 3.1, self-contained: tests/TestApps/OldRuntime). deep run
// refuses it before starting it; the profiler, loaded into it anyway through the CORECLR_* variables, says so in one
// line and stays out, and the program runs to its end.
[Collection(EndToEndCollection.Name)]
public sealed class UnsupportedRuntimeTests
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? s_app;

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

        Assert.Equal(2, code);
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
}
