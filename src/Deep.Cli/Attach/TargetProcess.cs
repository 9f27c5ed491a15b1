using System.Globalization;
using System.Text.RegularExpressions;
using Deep.Agent.Native;
using Deep.Cli.Run;

namespace Deep.Cli.Attach;

/// <summary>
/// What <c>/proc</c> says about the process to attach to: whether it exists, its runtime (the libcoreclr.so it
/// mapped, whose folder is the runtime's version), whether our profiler is already in it, and its TMPDIR (where
/// its diagnostics socket is).
/// </summary>
internal sealed partial record TargetProcess(int Pid, string Name, bool MapsReadable, string? CoreClrPath, Version? RuntimeVersion,
    bool ProfilerLoaded, string TempDirectory, OtherProfiler? OtherProfiler = null)
{
    public bool IsDotNet => CoreClrPath is not null;

    /// <summary>Reads /proc/&lt;pid&gt;; null when there is no such process.</summary>
    public static TargetProcess? Inspect(int pid, string procRoot = "/proc")
    {
        var dir = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        if (pid <= 0 || !Directory.Exists(dir))
        {
            return null;
        }
        string name = TryRead(Path.Combine(dir, "comm"))?.Trim() ?? "?";
        string? coreclr = null;
        bool profiler = false;
        bool readable = true;
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(dir, "maps")))
            {
                int slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0)
                {
                    continue;
                }
                var path = line[slash..];
                if (coreclr is null && path.EndsWith("/libcoreclr.so", StringComparison.Ordinal))
                {
                    coreclr = path;
                }
                else if (path.EndsWith("/Deep.Profiler.so", StringComparison.Ordinal))
                {
                    profiler = true;
                }
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            readable = false; // another user's process: the socket's permissions decide, and say so
        }
        var environment = EnvironmentOf(dir);
        return new TargetProcess(pid, name, readable, coreclr, coreclr is null ? null : VersionOf(coreclr) ?? SelfContainedVersionOf(coreclr), profiler,
            TempDirectoryOf(environment), OtherProfiler.In(environment));
    }

    /// <summary>
    /// A self-contained app's runtime lives in its own folder, whose path has no version: its runtimeconfig.json
    /// names the runtime it includes.
    /// </summary>
    private static Version? SelfContainedVersionOf(string coreclrPath)
    {
        try
        {
            var folder = Path.GetDirectoryName(coreclrPath);
            if (folder is null || !Directory.Exists(folder))
            {
                return null;
            }
            foreach (var config in Directory.EnumerateFiles(folder, "*.runtimeconfig.json"))
            {
                if (TargetRuntime.Read(config, _ => null) is { } runtime)
                {
                    return runtime.Version;
                }
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
        }
        return null;
    }

    /// <summary>The process's environment as it started (/proc/&lt;pid&gt;/environ); empty when unreadable.</summary>
    private static Func<string, string?> EnvironmentOf(string dir)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var environ = TryRead(Path.Combine(dir, "environ"));
        if (environ is not null)
        {
            foreach (var entry in environ.Split('\0'))
            {
                int equals = entry.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    variables.TryAdd(entry[..equals], entry[(equals + 1)..]);
                }
            }
        }
        return name => variables.GetValueOrDefault(name);
    }

    /// <summary>The runtime version from a shared-framework path, e.g. <c>.../Microsoft.NETCore.App/10.0.1/libcoreclr.so</c>.</summary>
    public static Version? VersionOf(string coreclrPath)
    {
        var match = FrameworkVersion().Match(coreclrPath);
        return match.Success && Version.TryParse(match.Groups[1].Value, out var version) ? version : null;
    }

    // The runtime puts its socket in the TMPDIR it started with, else /tmp.
    private static string TempDirectoryOf(Func<string, string?> environment) =>
        environment("TMPDIR") is { Length: > 0 } tmp ? tmp : "/tmp";

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"/Microsoft\.NETCore\.App/(\d+\.\d+\.\d+)[^/]*/libcoreclr\.so$")]
    private static partial Regex FrameworkVersion();
}
