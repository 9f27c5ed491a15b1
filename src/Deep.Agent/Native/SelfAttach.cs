using Deep.Agent.Diagnostics;

namespace Deep.Agent.Native;

/// <summary>
/// <see cref="DeepAgent.Start"/> in a process that was not started with the profiler: attaches our profiler to
/// this very process through the runtime's diagnostics socket, so that line tracepoints can be installed. The
/// profiler library is <c>DEEP_PROFILER_PATH</c>, else the first <c>Deep.Profiler.so</c> of <see cref="Candidates"/>
/// (next to Deep.Agent.dll, or where the SDK puts the Deep.Agent package's native asset in a built or published app).
/// <c>DEEP_ATTACH_PROFILER=false</c> turns this off. Never throws; a failure leaves the agent without an engine,
/// which its tracepoint statuses then explain.
/// </summary>
internal static class SelfAttach
{
    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Attaches the profiler unless it is here already (startup variables or an earlier attach).</summary>
    public static void EnsureProfiler()
    {
        try
        {
            if (ProfilerBridge.AttachedProfilerPath is not null)
                return;
            if (Environment.GetEnvironmentVariable("CORECLR_ENABLE_PROFILING") == "1"
                && string.Equals(Environment.GetEnvironmentVariable("CORECLR_PROFILER"), ProfilerBridge.ProfilerClsid, StringComparison.OrdinalIgnoreCase))
                return; // deep run: the runtime loaded the profiler at startup
            if (ProfilerBridge.OtherProfilerReason() is { } other)
            {
                // The runtime would refuse a second profiler: do not try, say why tracepoints cannot be installed.
                Fail(other);
                return;
            }
            if (RuntimeSupport.WhyUnsupported() is { } unsupported)
            {
                Fail(unsupported);
                return;
            }
            if (string.Equals(Environment.GetEnvironmentVariable("DEEP_ATTACH_PROFILER"), "false", StringComparison.OrdinalIgnoreCase))
            {
                SelfLog.Info("DEEP_ATTACH_PROFILER=false: the profiler is not attached; tracepoints cannot be installed");
                return;
            }
            string? path = Environment.GetEnvironmentVariable("DEEP_PROFILER_PATH");
            if (string.IsNullOrEmpty(path))
            {
                var candidates = Candidates(Path.GetDirectoryName(typeof(SelfAttach).Assembly.Location), AppContext.BaseDirectory);
                path = candidates.FirstOrDefault(File.Exists);
                if (path is null)
                {
                    Fail($"no profiler library at {string.Join(", ", candidates.Select(c => $"'{c}'"))} (set DEEP_PROFILER_PATH): the profiler is not attached and tracepoints cannot be installed");
                    return;
                }
            }
            else if (!File.Exists(path))
            {
                Fail($"no profiler library at '{path}' (DEEP_PROFILER_PATH): the profiler is not attached and tracepoints cannot be installed");
                return;
            }
            path = Path.GetFullPath(path);
            var socket = DiagnosticsIpc.FindSocket(Environment.ProcessId, Path.GetTempPath());
            if (socket is null)
            {
                Fail($"this process has no diagnostics socket in {Path.GetTempPath()} (DOTNET_EnableDiagnostics=0?): the profiler cannot be attached");
                return;
            }
            var result = DiagnosticsIpc.AttachProfiler(socket, Guid.Parse(ProfilerBridge.ProfilerClsid), path, [], AttachTimeout);
            if (result.Outcome != AttachOutcome.Attached)
            {
                Fail("attaching the profiler to this process failed: " + result.Message);
                return;
            }
            ProfilerBridge.AttachedProfilerPath = path;
            SelfLog.Info($"profiler attached to this process: {path}");
        }
        catch (Exception e)
        {
            Fail("attaching the profiler to this process failed: " + e.Message);
        }
    }

    /// <summary>
    /// Where <c>Deep.Profiler.so</c> may be, in order: next to the agent (deep run's folder, the tarball, a publish
    /// with a runtime identifier, where the SDK copies the package's <c>runtimes/linux-x64/native</c> asset into the
    /// app folder), then under <c>runtimes/linux-x64/native/</c> (a build or a framework-dependent publish without
    /// one), for the agent's folder and then the application's (a single-file app has no agent location).
    /// </summary>
    internal static IReadOnlyList<string> Candidates(string? agentDirectory, string? appDirectory)
    {
        var list = new List<string>(4);
        foreach (var directory in new[] { agentDirectory, appDirectory })
        {
            if (string.IsNullOrEmpty(directory))
                continue;
            foreach (var path in new[] { Path.Combine(directory, ProfilerFileName), Path.Combine(directory, "runtimes", "linux-x64", "native", ProfilerFileName) })
            {
                var full = Path.GetFullPath(path);
                if (!list.Contains(full))
                    list.Add(full);
            }
        }
        return list;
    }

    private const string ProfilerFileName = "Deep.Profiler.so";

    private static void Fail(string reason)
    {
        ProfilerBridge.SelfAttachFailure = reason;
        SelfLog.Warning(reason);
    }
}
