using Deep.Cli.Common;
using Deep.Cli.Run;

namespace Deep.Cli.Tests.Run;

// What deep run checks before it builds or starts anything: another CLR profiler configured in its environment, and
// the runtime the program's runtimeconfig.json names. Real files in a temporary folder; the environment is given.
public sealed class RunCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deep-run-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static readonly Func<string, string?> NoEnv = _ => null;

    private string App(string name, string runtimeOptions)
    {
        var dll = Path.Combine(_dir, name + ".dll");
        File.WriteAllText(dll, "");
        File.WriteAllText(Path.Combine(_dir, name + ".runtimeconfig.json"), "{\"runtimeOptions\":" + runtimeOptions + "}");
        return dll;
    }

    private static string Framework(string version) =>
        $"{{\"tfm\":\"net{version[..version.IndexOf('.', StringComparison.Ordinal)]}.0\",\"framework\":{{\"name\":\"Microsoft.NETCore.App\",\"version\":\"{version}\"}}}}";

    private static CliException? Refusal(IReadOnlyList<string> command, Func<string, string?> environment) =>
        Record.Exception(() => RunCommand.Check(new RunOptions(command, null, null), environment)) as CliException;

    [Fact]
    public void Another_configured_profiler_stops_the_run_naming_it_and_the_way_out()
    {
        var e = Refusal(["dotnet", "app.dll"], Env(("CORECLR_ENABLE_PROFILING", "1"),
            ("CORECLR_PROFILER", "{B4C89B0F-9908-4F73-9F59-0D77C5A06874}"), ("CORECLR_PROFILER_PATH", "/opt/apm/libapm.so")));

        Assert.NotNull(e);
        Assert.Equal(ExitCodes.ProfilerConflict, e.ExitCode);
        Assert.StartsWith("another CLR profiler is configured in this environment: CORECLR_PROFILER={B4C89B0F-9908-4F73-9F59-0D77C5A06874} (/opt/apm/libapm.so). "
            + "A .NET process loads only one profiler, so deep run does not replace it.", e.Message, StringComparison.Ordinal);
        Assert.Contains("env -u CORECLR_ENABLE_PROFILING -u CORECLR_PROFILER -u CORECLR_PROFILER_PATH ./deep run", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disabled_profiler_or_the_deep_profiler_itself_does_not_stop_the_run()
    {
        Assert.Null(Refusal(["dotnet", "app.dll"], Env(("CORECLR_ENABLE_PROFILING", "0"), ("CORECLR_PROFILER", "{B4C89B0F-9908-4F73-9F59-0D77C5A06874}"))));
        Assert.Null(Refusal(["dotnet", "app.dll"], Env(("CORECLR_ENABLE_PROFILING", "1"), ("CORECLR_PROFILER", "{8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}"))));
    }

    [Theory]
    [InlineData("8.0.0")]
    [InlineData("9.0.20")]
    [InlineData("10.0.12")]
    public void A_program_for_dotnet_8_to_10_runs(string version)
    {
        Assert.Null(Refusal(["dotnet", App("Shop", Framework(version))], NoEnv));
    }

    [Theory]
    [InlineData("7.0.0", "7.0")]
    [InlineData("6.0.36", "6.0")]
    [InlineData("11.0.0-preview.1.25080.5", "11.0")]
    public void A_program_for_another_runtime_is_refused_before_it_starts(string version, string shown)
    {
        var app = App("Old", Framework(version));

        var e = Refusal(["dotnet", app], NoEnv);

        Assert.NotNull(e);
        Assert.Equal(ExitCodes.UnsupportedRuntime, e.ExitCode);
        Assert.Equal($"the program runs on .NET {shown} ({Path.ChangeExtension(app, ".runtimeconfig.json")}); deep supports .NET 8 to 10. "
            + "Build it for one of those, or run it without deep", e.Message);
    }

    [Fact]
    public void A_self_contained_executable_is_judged_by_the_runtime_it_includes()
    {
        var exe = Path.Combine(_dir, "Shop");
        File.WriteAllText(exe, "");
        File.WriteAllText(exe + ".runtimeconfig.json",
            "{\"runtimeOptions\":{\"tfm\":\"net7.0\",\"includedFrameworks\":[{\"name\":\"Microsoft.NETCore.App\",\"version\":\"7.0.20\"}]}}");

        Assert.NotNull(Refusal([exe], NoEnv));
        File.WriteAllText(exe + ".runtimeconfig.json",
            "{\"runtimeOptions\":{\"tfm\":\"net8.0\",\"includedFrameworks\":[{\"name\":\"Microsoft.NETCore.App\",\"version\":\"8.0.34\"}]}}");
        Assert.Null(Refusal([exe], NoEnv));
    }

    [Fact]
    public void An_aspnetcore_app_listing_two_frameworks_is_judged_by_the_runtime()
    {
        var app = App("Web", "{\"frameworks\":[{\"name\":\"Microsoft.AspNetCore.App\",\"version\":\"7.0.0\"},{\"name\":\"Microsoft.NETCore.App\",\"version\":\"7.0.0\"}]}");

        Assert.NotNull(Refusal(["dotnet", app], NoEnv));
    }

    [Fact]
    public void An_older_program_allowed_to_roll_forward_to_a_newer_major_is_left_to_the_agent_to_check()
    {
        var byConfig = App("Rolls", "{\"rollForward\":\"Major\"," + Framework("7.0.0")[1..]);
        var byEnvironment = App("Old", Framework("7.0.0"));

        Assert.Null(Refusal(["dotnet", byConfig], NoEnv));
        Assert.Null(Refusal(["dotnet", byEnvironment], Env(("DOTNET_ROLL_FORWARD", "LatestMajor"))));
        Assert.NotNull(Refusal(["dotnet", byEnvironment], Env(("DOTNET_ROLL_FORWARD", "Minor"))));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"runtimeOptions\":{}}")]
    [InlineData("{\"runtimeOptions\":{\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"x.y\"}}}")]
    [InlineData("[]")]
    public void An_unreadable_runtimeconfig_does_not_stop_the_run(string content)
    {
        var dll = Path.Combine(_dir, "Odd.dll");
        File.WriteAllText(Path.Combine(_dir, "Odd.runtimeconfig.json"), content);

        Assert.Null(Refusal(["dotnet", dll], NoEnv));
    }

    [Theory]
    [InlineData("bash", "-c", "dotnet app.dll")]   // a script: not ours to read
    [InlineData("dotnet", "run", "--project")]
    [InlineData("myapp", "--port", "80")]          // found on PATH
    [InlineData("/no/such/app", "", "")]
    public void Commands_whose_runtime_cannot_be_told_are_not_stopped(string program, string a, string b)
    {
        Assert.Null(Refusal([program, a, b], NoEnv));
    }

    [Fact]
    public void Dotnet_exec_and_host_options_before_the_app_are_understood()
    {
        var app = App("Old", Framework("7.0.0"));

        Assert.NotNull(Refusal(["dotnet", "exec", app], NoEnv));
        Assert.NotNull(Refusal(["dotnet", "--roll-forward", "Minor", app], NoEnv));
    }
}
