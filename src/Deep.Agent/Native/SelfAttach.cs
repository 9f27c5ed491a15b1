using Deep.Agent.Diagnostics;

namespace Deep.Agent.Native;

/// <summary>
/// <see cref="DeepAgent.Start"/> in a process that was not started with the profiler: attaches our profiler to
/// this very process through the runtime's diagnostics socket, so that line tracepoints can be installed. The
/// profiler library is <c>DEEP_PROFILER_PATH</c>, else <c>Deep.Profiler.so</c> next to Deep.Agent.dll.
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
                var agentDirectory = Path.GetDirectoryName(typeof(SelfAttach).Assembly.Location);
                path = string.IsNullOrEmpty(agentDirectory) ? null : Path.Combine(agentDirectory, "Deep.Profiler.so");
            }
            if (path is null || !File.Exists(path))
            {
                Fail($"no profiler library at '{path}' (set DEEP_PROFILER_PATH): the profiler is not attached and tracepoints cannot be installed");
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

    private static void Fail(string reason)
    {
        ProfilerBridge.SelfAttachFailure = reason;
        SelfLog.Warning(reason);
    }
}
