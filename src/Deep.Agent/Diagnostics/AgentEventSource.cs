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

    [Event(2, Level = EventLevel.Informational, Message = "tracepoint {0} accepted: probe at {1}, {2}")]
    public void TracepointAccepted(string tracepointId, string location, string state) => WriteEvent(2, tracepointId, location, state);

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

    /// <summary>
    /// A tracepoint was accepted and its probe requested. It is not installed yet: <paramref name="state"/> says what
    /// happens next, and the engine's probe status lines say when it is installed, pending or failed.
    /// </summary>
    public static void Accepted(string tracepointId, string location, string state) =>
        Write("info", $"tracepoint {tracepointId} accepted: probe at {location}, {state}", () => AgentEventSource.Log.TracepointAccepted(tracepointId, location, state));

    public static void Rejected(string tracepointId, string reason) =>
        Write("warning", $"tracepoint {tracepointId} rejected: {reason}", () => AgentEventSource.Log.TracepointRejected(tracepointId, reason));

    public static void Removed(string tracepointId) =>
        Write("info", $"tracepoint {tracepointId} removed", () => AgentEventSource.Log.TracepointRemoved(tracepointId));

    public static void ActionFailed(string tracepointId, string reason) =>
        Write("warning", $"action of tracepoint {tracepointId} failed: {reason}", () => AgentEventSource.Log.ActionFailed(tracepointId, reason));

    /// <summary>
    /// Counts a dropped snapshot. The EventSource gets one event per drop; the log lines (stderr, listeners) are
    /// summarized: the first drop at once, then one line per <see cref="DropSummaryInterval"/> with counts by reason.
    /// </summary>
    public static void SnapshotDropped(string reason)
    {
        Interlocked.Increment(ref s_dropped);
        try
        {
            if (AgentEventSource.Log.IsEnabled()) AgentEventSource.Log.SnapshotDropped(reason);
            s_drops.Add(reason);
        }
        catch
        {
            // Diagnostics must never hurt the host.
        }
    }

    private static readonly DropSummary s_drops = new(line => WriteLine("warning", line), TimeSpan.FromSeconds(10));

    /// <summary>How long dropped snapshots are counted before one summary line is written (10 s).</summary>
    internal static TimeSpan DropSummaryInterval
    {
        get => s_drops.Interval;
        set => s_drops.Interval = value;
    }

    /// <summary>Writes the pending drop summary now (tests).</summary>
    internal static void FlushDropSummary() => s_drops.Flush();

    private static void WriteLine(string level, string message)
    {
        try
        {
            if (DebugToStderr) Console.Error.WriteLine($"[deep] {level}: {message}");
            Written?.Invoke(level, message);
        }
        catch
        {
            // Diagnostics must never hurt the host.
        }
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
