using System.Diagnostics;

namespace Deep.Profiler.Tests.EndToEnd;

/// <summary>
/// Builds the real profiler (scripts/build-profiler.sh) and the ProbeTarget test app in Debug and Release, then runs
/// each build under the profiler once; every scenario's line is kept for the tests to check.
/// </summary>
public sealed class ProbeTargetProcess
{
    public const string Clsid = "{8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}";

    public ProbeTargetProcess()
    {
        Root = FindRoot();
        // The script prints the library's path on stdout; its progress lines go to stderr, which Run appends.
        var profilerBuild = Run("bash", [Path.Combine(Root, "scripts", "build-profiler.sh")], Root, null, TimeSpan.FromMinutes(5));
        ProfilerPath = profilerBuild.Output.Split('\n', StringSplitOptions.TrimEntries).LastOrDefault(l => l.EndsWith(".so", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"scripts/build-profiler.sh failed (exit {profilerBuild.ExitCode}):\n{profilerBuild.Output}");
        AppDirectory = Path.Combine(Path.GetTempPath(), "deep-probetarget-" + Environment.ProcessId);
        HookAppDirectory = AppDirectory + "-hook";
        // HookTarget shares no project with ProbeTarget, so it builds alongside.
        var hookBuild = Task.Run(() => Run("dotnet", ["build", Path.Combine(Root, "tests", "TestApps", "HookTarget"), "-c", "Debug", "-o", HookAppDirectory, "-nologo", "-v", "q"], Root, null, TimeSpan.FromMinutes(5)));
        (int ExitCode, string Output) build;
        foreach (var configuration in new[] { "Debug", "Release" })
        {
            build = Run("dotnet", ["build", Path.Combine(Root, "tests", "TestApps", "ProbeTarget"), "-c", configuration, "-o", AppDirectory + "-" + configuration, "-nologo", "-v", "q"], Root, null, TimeSpan.FromMinutes(5));
            if (build.ExitCode != 0)
                throw new InvalidOperationException($"building ProbeTarget ({configuration}) failed:\n" + build.Output);
        }
        AppDirectory += "-Debug";

        var hookBuilt = hookBuild.Result;
        if (hookBuilt.ExitCode != 0)
            throw new InvalidOperationException("building HookTarget failed:\n" + hookBuilt.Output);

        LogPath = Path.Combine(AppDirectory, "profiler.log");
        foreach (var configuration in new[] { "Debug", "Release" })
        {
            var run = RunApp(ProfilerEnvironment(), configuration);
            var lines = new Dictionary<string, string>();
            foreach (var line in run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                    lines[line[..colon]] = line[(colon + 2)..];
            }
            Runs[configuration] = (run.ExitCode, run.Output, lines);
        }
    }

    public string Root { get; }
    public string ProfilerPath { get; }
    public string AppDirectory { get; }
    public string HookAppDirectory { get; }
    public string LogPath { get; }
    /// <summary>Per configuration: the exit code, the whole output, and scenario → line.</summary>
    public Dictionary<string, (int ExitCode, string Output, Dictionary<string, string> Lines)> Runs { get; } = [];

    public Dictionary<string, string?> ProfilerEnvironment() => new()
    {
        ["CORECLR_ENABLE_PROFILING"] = "1",
        ["CORECLR_PROFILER"] = Clsid,
        ["CORECLR_PROFILER_PATH"] = ProfilerPath,
        ["DEEP_PROFILER_LOG"] = LogPath,
    };

    public (int ExitCode, string Output) RunApp(Dictionary<string, string?> environment, string configuration = "Debug")
    {
        string directory = AppDirectory.Replace("-Debug", "-" + configuration, StringComparison.Ordinal);
        return Run("dotnet", [Path.Combine(directory, "ProbeTarget.dll")], directory, environment, TimeSpan.FromMinutes(2));
    }

    /// <summary>Runs HookTarget, which does not reference the agent, with the recorder as a startup hook.</summary>
    public (int ExitCode, string Output) RunHookApp()
    {
        var env = ProfilerEnvironment();
        env["DOTNET_STARTUP_HOOKS"] = Path.Combine(AppDirectory, "Deep.Agent.dll");
        return Run("dotnet", [Path.Combine(HookAppDirectory, "HookTarget.dll")], HookAppDirectory, env, TimeSpan.FromMinutes(2));
    }

    private static (int ExitCode, string Output) Run(string file, string[] args, string directory, Dictionary<string, string?>? environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        // The test host may itself run under a profiler or with startup hooks: the child gets only what we set.
        foreach (var name in new[] { "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH", "DOTNET_STARTUP_HOOKS", "DEEP_PROFILER_LOG" })
            info.Environment.Remove(name);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
                info.Environment[k] = v;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "deep-dotnet.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("repository root (deep-dotnet.slnx) not found above " + AppContext.BaseDirectory);
    }
}
