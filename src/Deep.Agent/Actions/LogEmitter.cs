using Deep.Agent.Probes;

namespace Deep.Agent.Actions;

internal static class LogEmitter
{
    /// <summary>Sends a line to every sink; one failing sink does not stop the others.</summary>
    public static void Emit(AgentContext context, ProbeAction action, DeepLogEntry entry)
    {
        foreach (var sink in context.LogSinks)
        {
            try
            {
                sink.Emit(entry);
            }
            catch (Exception e)
            {
                action.ReportRuntimeError($"log sink {sink.GetType().Name} failed: {e.Message}");
            }
        }
    }
}
