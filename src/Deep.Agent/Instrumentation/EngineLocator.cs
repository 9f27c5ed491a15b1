using Deep.Agent.Native;

namespace Deep.Agent.Instrumentation;

/// <summary>
/// Finds the instrumentation engine for this process: the profiler-backed engine when our CLR profiler is loaded,
/// otherwise null (tracepoints then stay pending and say why).
/// </summary>
internal static class EngineLocator
{
    private static readonly object s_gate = new();
    private static ProfilerEngine? s_engine;

    /// <summary>The engine binding into <paramref name="probes"/>, or null with the reason there is none. Never throws.</summary>
    public static IInstrumentationEngine? TryCreate(IProbeBinder probes, out string? whyNot)
    {
        try
        {
            if (!ProfilerBridge.IsLoaded)
            {
                whyNot = ProfilerBridge.NotLoadedReason ?? "the deep profiler is not loaded in this process";
                return null;
            }
            lock (s_gate)
            {
                // One engine per process: the profiler holds one set of probes per method.
                if (s_engine is null) s_engine = ProfilerEngine.CreateForProcess(probes);
                else s_engine.UseProbes(probes);
            }
            whyNot = null;
            return s_engine;
        }
        catch (Exception e)
        {
            whyNot = "starting the instrumentation engine failed: " + e.Message;
            return null;
        }
    }
}
