using Deep.Agent.Diagnostics;

namespace Deep.Agent.Instrumentation;

/// <summary>
/// Self-diagnostics of the instrumentation engine, through the agent's <see cref="SelfLog"/> (the <c>Deep-Agent</c>
/// EventSource, and stderr with <c>DEEP_DEBUG=true</c>). Never throws.
/// </summary>
internal static class EngineLog
{
    /// <summary>Something a developer may want to know.</summary>
    public static void Info(string message) => Guard(() => SelfLog.Info("engine: " + message));

    /// <summary>Something that went wrong and was handled.</summary>
    public static void Warn(string message) => Guard(() => SelfLog.Warning("engine: " + message));

    private static void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (Exception)
        {
            // Diagnostics must never hurt the host.
        }
    }
}
