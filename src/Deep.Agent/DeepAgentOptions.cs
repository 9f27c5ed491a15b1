using Deep.Agent.Actions;
using Deep.Agent.Instrumentation;

namespace Deep.Agent;

/// <summary>
/// Settings given in code. Anything left null comes from the <c>DEEP_*</c> environment variables, then the defaults
/// of spec §9.
/// </summary>
public sealed class DeepAgentOptions
{
    /// <summary>The DEEP server (gRPC), e.g. <c>http://localhost:43315</c>; <c>host:port</c> is accepted.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The poll interval.</summary>
    public TimeSpan? PollInterval { get; set; }

    /// <summary>How long a server that supports it may hold a poll; <see cref="TimeSpan.Zero"/> never asks.</summary>
    public TimeSpan? LongPoll { get; set; }

    /// <summary>The service name of the resource.</summary>
    public string? ServiceName { get; set; }

    /// <summary>Extra resource attributes.</summary>
    public IDictionary<string, string>? ResourceAttributes { get; set; }

    /// <summary>Extra metadata sent with every call (e.g. <c>x-scope-orgid</c>).</summary>
    public IDictionary<string, string>? Headers { get; set; }

    /// <summary>The master switch.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Diagnostics on standard error.</summary>
    public bool? Debug { get; set; }

    /// <summary>Capacity of the snapshot send queue.</summary>
    public int? QueueCapacity { get; set; }

    /// <summary>Snapshots per second for the whole process (-1 for no cap).</summary>
    public int? MaxSnapshotsPerSecond { get; set; }

    /// <summary>How long <see cref="DeepAgent.Shutdown"/> waits for queued snapshots to be sent.</summary>
    public TimeSpan? FlushTimeout { get; set; }

    /// <summary>Where tracepoint log lines go; default: one line on standard output.</summary>
    public IList<IDeepLogSink> LogSinks { get; } = new List<IDeepLogSink>();

    /// <summary>The instrumentation engine to use instead of the profiler-backed one (tests, embedding).</summary>
    internal IInstrumentationEngine? Engine { get; set; }
}
