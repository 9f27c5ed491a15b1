namespace Deep.Agent.Instrumentation;

/// <summary>
/// Finds the instrumentation engine for this process: the profiler-backed engine when our CLR profiler is loaded,
/// otherwise null (tracepoints then stay pending and say why). SKELETON until the engine issue (#5) lands.
/// </summary>
internal static class EngineLocator
{
    /// <summary>The engine, or null with the reason there is none.</summary>
    public static IInstrumentationEngine? TryCreate(out string? whyNot)
    {
        whyNot = "the instrumentation engine is not built yet";
        return null;
    }
}
