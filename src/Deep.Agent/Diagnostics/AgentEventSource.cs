using System.Diagnostics.Tracing;

namespace Deep.Agent.Diagnostics;

/// <summary>
/// The agent's self-diagnostics, visible to <c>dotnet-trace</c>, <c>dotnet-counters</c> and any EventListener as
/// the provider <c>Deep-Agent</c>: what was installed, rejected, dropped or failed.
/// </summary>
[EventSource(Name = "Deep-Agent")]
internal sealed class AgentEventSource : EventSource
{
    public static readonly AgentEventSource Log = new();

    private AgentEventSource()
    {
    }

    [Event(1, Level = EventLevel.Informational, Message = "agent started: {0}")]
    public void AgentStarted(string details) => WriteEvent(1, details);

    [Event(2, Level = EventLevel.Informational, Message = "tracepoint {0} installed at {1}")]
    public void TracepointInstalled(string tracepointId, string location) => WriteEvent(2, tracepointId, location);

    [Event(3, Level = EventLevel.Warning, Message = "tracepoint {0} rejected: {1}")]
    public void TracepointRejected(string tracepointId, string reason) => WriteEvent(3, tracepointId, reason);

    [Event(4, Level = EventLevel.Informational, Message = "tracepoint {0} removed")]
    public void TracepointRemoved(string tracepointId) => WriteEvent(4, tracepointId);

    [Event(5, Level = EventLevel.Warning, Message = "snapshot dropped: {0}")]
    public void SnapshotDropped(string reason) => WriteEvent(5, reason);

    [Event(6, Level = EventLevel.Warning, Message = "{0}")]
    public void Warning(string message) => WriteEvent(6, message);

    [Event(7, Level = EventLevel.Error, Message = "{0}")]
    public void Error(string message) => WriteEvent(7, message);

    [Event(8, Level = EventLevel.Verbose, Message = "{0}")]
    public void Debug(string message) => WriteEvent(8, message);

    [Event(9, Level = EventLevel.Warning, Message = "action of tracepoint {0} failed: {1}")]
    public void ActionFailed(string tracepointId, string reason) => WriteEvent(9, tracepointId, reason);
}

/// <summary>
/// One place every diagnostic goes through: the EventSource always, standard error when <c>DEEP_DEBUG=true</c>,
/// and an optional in-process listener (tests). Never throws.
/// </summary>
internal static class SelfLog
{
    private static int s_dropped;

    /// <summary>Writes diagnostics to standard error too (DEEP_DEBUG).</summary>
    public static bool DebugToStderr { get; set; }

    /// <summary>Receives every diagnostic line (level, message); for tests and embedding.</summary>
    public static event Action<string, string>? Written;

    /// <summary>Snapshots dropped anywhere in the agent (cap, full queue, rejected by the server).</summary>
    public static int DroppedSnapshots => Volatile.Read(ref s_dropped);

    public static void Info(string message) => Write("info", message, () => AgentEventSource.Log.AgentStarted(message));

    public static void Debug(string message)
    {
        if (!DebugToStderr && Written is null && !AgentEventSource.Log.IsEnabled()) return;
        Write("debug", message, () => AgentEventSource.Log.Debug(message));
    }

    public static void Warning(string message) => Write("warning", message, () => AgentEventSource.Log.Warning(message));

    public static void Error(string message) => Write("error", message, () => AgentEventSource.Log.Error(message));

    public static void Installed(string tracepointId, string location) =>
        Write("info", $"tracepoint {tracepointId} installed at {location}", () => AgentEventSource.Log.TracepointInstalled(tracepointId, location));

    public static void Rejected(string tracepointId, string reason) =>
        Write("warning", $"tracepoint {tracepointId} rejected: {reason}", () => AgentEventSource.Log.TracepointRejected(tracepointId, reason));

    public static void Removed(string tracepointId) =>
        Write("info", $"tracepoint {tracepointId} removed", () => AgentEventSource.Log.TracepointRemoved(tracepointId));

    public static void ActionFailed(string tracepointId, string reason) =>
        Write("warning", $"action of tracepoint {tracepointId} failed: {reason}", () => AgentEventSource.Log.ActionFailed(tracepointId, reason));

    public static void SnapshotDropped(string reason)
    {
        Interlocked.Increment(ref s_dropped);
        Write("warning", $"snapshot dropped: {reason}", () => AgentEventSource.Log.SnapshotDropped(reason));
    }

    private static void Write(string level, string message, Action toEventSource)
    {
        try
        {
            if (AgentEventSource.Log.IsEnabled()) toEventSource();
            if (DebugToStderr) Console.Error.WriteLine($"[deep] {level}: {message}");
            Written?.Invoke(level, message);
        }
        catch
        {
            // Diagnostics must never hurt the host.
        }
    }
}
