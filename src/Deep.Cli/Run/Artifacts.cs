using System.Diagnostics;
using Deep.Cli.Common;

namespace Deep.Cli.Run;

/// <summary>
/// The agent, its startup-hook loader and the profiler that a run, an attach or <c>deep env</c> hands to an application.
/// An installed tool (or any publish of the CLI) carries them prebuilt in <c>agent/</c> next to its own assembly
/// (<see cref="BundledFolder"/>, the layout of the tarball too); a CLI built from the source tree (<c>./deep</c>) builds
/// the agent into <c>.deep/agent</c> and the profiler with <c>scripts/build-profiler.sh</c> when they are missing or
/// older than their sources. Concurrent runs wait for each other on a lock file instead of building twice.
/// </summary>
internal static class Artifacts
{
    private static readonly string[] AgentSources = ["src/Deep.Agent", "src/Deep.Agent.Loader", "src/Deep.Protocol", "src/Deep.Tracepoints"];

    /// <summary>The name of the folder that holds the agent files in the tool package and the tarball.</summary>
    internal const string BundledFolder = "agent";

    internal const string LoaderFile = "Deep.Agent.Loader.dll";
    internal const string AgentFile = "Deep.Agent.dll";
    internal const string ProfilerFile = "Deep.Profiler.so";

    /// <summary>
    /// The files to use: the tool's own <c>agent/</c> folder when it has one, else the source tree's, built when
    /// needed. <c>DEEP_PROFILER_PATH</c> names another profiler library in both cases.
    /// </summary>
    public static async Task<RunArtifacts> LocateAsync(TextWriter messages, CancellationToken cancellation)
    {
        if (InFolder(Path.Combine(AppContext.BaseDirectory, BundledFolder), Environment.GetEnvironmentVariable("DEEP_PROFILER_PATH")) is { } bundled)
        {
            if (!File.Exists(bundled.ProfilerPath))
            {
                throw new CliException(ExitCodes.Unexpected, $"the profiler library '{bundled.ProfilerPath}' does not exist");
            }
            return bundled;
        }
        return await EnsureBuiltAsync(RepositoryRoot.Find(), messages, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// The agent files in <paramref name="folder"/> (the tool's <c>agent/</c>, an unpacked tarball), or null when it has no
    /// loader and agent; the profiler is <paramref name="profilerOverride"/> when given, else the one in the folder.
    /// </summary>
    internal static RunArtifacts? InFolder(string folder, string? profilerOverride)
    {
        var agent = Path.Combine(folder, AgentFile);
        var loader = Path.Combine(folder, LoaderFile);
        if (!File.Exists(agent) || !File.Exists(loader))
        {
            return null;
        }
        var profiler = string.IsNullOrEmpty(profilerOverride) ? Path.Combine(folder, ProfilerFile) : profilerOverride;
        return new RunArtifacts(Path.GetFullPath(agent), Path.GetFullPath(profiler), Path.GetFullPath(loader));
    }

    public static async Task<RunArtifacts> EnsureBuiltAsync(string root, TextWriter messages, CancellationToken cancellation)
    {
        var deepDir = Path.Combine(root, ".deep");
        Directory.CreateDirectory(deepDir);
        using var buildLock = await AcquireLockAsync(Path.Combine(deepDir, "run-build.lock"), cancellation).ConfigureAwait(false);

        var agentDir = Path.Combine(deepDir, "agent");
        var agentDll = Path.Combine(agentDir, AgentFile);
        // Built with the agent (Deep.Agent.csproj copies it next to Deep.Agent.dll).
        var loaderDll = Path.Combine(agentDir, LoaderFile);
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
                throw new CliException(ExitCodes.Unexpected, $"building the agent failed (exit {code}); see {log}:{Environment.NewLine}{Tail(output)}");
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
            throw new CliException(ExitCodes.Unexpected, $"the profiler library '{profiler}' does not exist");
        }
        return new RunArtifacts(agentDll, Path.GetFullPath(profiler), loaderDll);
    }

    private static async Task<string> BuildProfilerAsync(string root, string deepDir, CancellationToken cancellation)
    {
        var script = Path.Combine(root, "scripts", "build-profiler.sh");
        if (!File.Exists(script))
        {
            throw new CliException(ExitCodes.Unexpected, $"{script} is missing: the profiler cannot be built (set DEEP_PROFILER_PATH to a built Deep.Profiler.so)");
        }
        var (code, output) = await ExecAsync("bash", [script], root, cancellation).ConfigureAwait(false);
        var log = Path.Combine(deepDir, "profiler-build.log");
        await File.WriteAllTextAsync(log, output, cancellation).ConfigureAwait(false);
        if (code != 0)
        {
            throw new CliException(ExitCodes.Unexpected, $"building the profiler failed (exit {code}); see {log}:{Environment.NewLine}{Tail(output)}");
        }
        // The script prints the library's path as its last line.
        var path = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.EndsWith(".so", StringComparison.Ordinal));
        if (path is null)
        {
            throw new CliException(ExitCodes.Unexpected, $"scripts/build-profiler.sh did not print the profiler's path; see {log}");
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
        using var process = Process.Start(info) ?? throw new CliException(ExitCodes.Unexpected, $"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static string Tail(string output) =>
        string.Join(Environment.NewLine, output.Split('\n').TakeLast(15));
}
