using System.Diagnostics;

namespace Deep.Cli.Run;

/// <summary>
/// Builds the agent and its startup-hook loader (<c>.deep/agent</c>) and the profiler (<c>scripts/build-profiler.sh</c>) when they are missing or
/// older than their sources. Concurrent runs wait for each other on a lock file instead of building twice.
/// </summary>
internal static class Artifacts
{
    private static readonly string[] AgentSources = ["src/Deep.Agent", "src/Deep.Agent.Loader", "src/Deep.Protocol", "src/Deep.Tracepoints"];

    public static async Task<RunArtifacts> EnsureBuiltAsync(string root, TextWriter messages, CancellationToken cancellation)
    {
        var deepDir = Path.Combine(root, ".deep");
        Directory.CreateDirectory(deepDir);
        using var buildLock = await AcquireLockAsync(Path.Combine(deepDir, "run-build.lock"), cancellation).ConfigureAwait(false);

        var agentDir = Path.Combine(deepDir, "agent");
        var agentDll = Path.Combine(agentDir, "Deep.Agent.dll");
        // Built with the agent (Deep.Agent.csproj copies it next to Deep.Agent.dll).
        var loaderDll = Path.Combine(agentDir, "Deep.Agent.Loader.dll");
        var stamp = Path.Combine(agentDir, ".built");
        if (!File.Exists(agentDll) || !File.Exists(loaderDll) || !File.Exists(stamp) || NewestSource(root) > File.GetLastWriteTimeUtc(stamp))
        {
            await messages.WriteLineAsync("deep run: building the agent (first use or sources changed)...").ConfigureAwait(false);
            var log = Path.Combine(deepDir, "agent-build.log");
            var (code, output) = await ExecAsync("dotnet",
                ["build", Path.Combine(root, "src", "Deep.Agent", "Deep.Agent.csproj"), "-c", "Release", "-o", agentDir, "-nologo", "-v", "q", "-clp:ErrorsOnly"],
                root, cancellation).ConfigureAwait(false);
            await File.WriteAllTextAsync(log, output, cancellation).ConfigureAwait(false);
            if (code != 0)
            {
                throw new RunException(1, $"building the agent failed (exit {code}); see {log}:{Environment.NewLine}{Tail(output)}");
            }
            await File.WriteAllTextAsync(stamp, DateTime.UtcNow.ToString("O"), cancellation).ConfigureAwait(false);
        }

        var profiler = Environment.GetEnvironmentVariable("DEEP_PROFILER_PATH");
        if (string.IsNullOrEmpty(profiler))
        {
            profiler = await BuildProfilerAsync(root, deepDir, cancellation).ConfigureAwait(false);
        }
        if (!File.Exists(profiler))
        {
            throw new RunException(1, $"the profiler library '{profiler}' does not exist");
        }
        return new RunArtifacts(agentDll, Path.GetFullPath(profiler), loaderDll);
    }

    private static async Task<string> BuildProfilerAsync(string root, string deepDir, CancellationToken cancellation)
    {
        var script = Path.Combine(root, "scripts", "build-profiler.sh");
        if (!File.Exists(script))
        {
            throw new RunException(1, $"{script} is missing: the profiler cannot be built (set DEEP_PROFILER_PATH to a built Deep.Profiler.so)");
        }
        var (code, output) = await ExecAsync("bash", [script], root, cancellation).ConfigureAwait(false);
        var log = Path.Combine(deepDir, "profiler-build.log");
        await File.WriteAllTextAsync(log, output, cancellation).ConfigureAwait(false);
        if (code != 0)
        {
            throw new RunException(1, $"building the profiler failed (exit {code}); see {log}:{Environment.NewLine}{Tail(output)}");
        }
        // The script prints the library's path as its last line.
        var path = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.EndsWith(".so", StringComparison.Ordinal));
        if (path is null)
        {
            throw new RunException(1, $"scripts/build-profiler.sh did not print the profiler's path; see {log}");
        }
        return Path.IsPathRooted(path) ? path : Path.Combine(root, path);
    }

    private static DateTime NewestSource(string root)
    {
        var newest = DateTime.MinValue;
        foreach (var folder in AgentSources)
        {
            var dir = Path.Combine(root, folder);
            if (!Directory.Exists(dir))
            {
                continue;
            }
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                if (file.Contains("/bin/", StringComparison.Ordinal) || file.Contains("/obj/", StringComparison.Ordinal))
                {
                    continue;
                }
                if (file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".csproj", StringComparison.Ordinal))
                {
                    var time = File.GetLastWriteTimeUtc(file);
                    if (time > newest)
                    {
                        newest = time;
                    }
                }
            }
        }
        foreach (var props in new[] { "Directory.Build.props", "Directory.Packages.props" })
        {
            var path = Path.Combine(root, props);
            if (File.Exists(path) && File.GetLastWriteTimeUtc(path) > newest)
            {
                newest = File.GetLastWriteTimeUtc(path);
            }
        }
        return newest;
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, cancellation).ConfigureAwait(false);
            }
        }
    }

    private static async Task<(int Code, string Output)> ExecAsync(string file, string[] arguments, string workingDirectory, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // A build of ours must not inherit a profiler or a startup hook from the environment.
        foreach (var name in new[] { "DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH" })
        {
            info.Environment.Remove(name);
        }
        using var process = Process.Start(info) ?? throw new RunException(1, $"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static string Tail(string output) =>
        string.Join(Environment.NewLine, output.Split('\n').TakeLast(15));
}
