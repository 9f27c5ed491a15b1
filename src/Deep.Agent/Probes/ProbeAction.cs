using Deep.Agent.Instrumentation;
using Deep.Protocol;

namespace Deep.Agent.Probes;

/// <summary>What kind of work an action does at a hit.</summary>
internal enum ActionKind
{
    Snapshot,
    Log,
    Metric,
    Span,
    /// <summary>An Exception Replay hook: keeps a frame's values with the exception leaving it (no snapshot of its own).</summary>
    ExceptionReplay,
}

/// <summary>
/// One action of one tracepoint at a probe: its own rate limits and fire counter, a condition compiled against the
/// probe's layout, and the work it does. The same instance lives as long as its tracepoint is unchanged, so counters
/// survive config updates.
/// </summary>
internal abstract class ProbeAction
{
    private ProbeFrameLayout? _preparedFor;
    private int _runtimeErrorReported;

    protected ProbeAction(TracePointConfig tracepoint, RateLimiter limiter)
    {
        Tracepoint = tracepoint;
        Limiter = limiter;
    }

    public TracePointConfig Tracepoint { get; }

    public string TracepointId => Tracepoint.ID;

    public RateLimiter Limiter { get; }

    public abstract ActionKind Kind { get; }

    /// <summary>The compiled condition, or null for "always".</summary>
    public Func<HitState, bool>? Condition { get; protected set; }

    /// <summary>Why this action cannot run against its probe's layout (e.g. an unknown name); null when it can.</summary>
    public string? PrepareError { get; private set; }

    /// <summary>
    /// The expressions that failed alone at the probe's layout (a watch naming a local that is not there), with why;
    /// the action runs without them. Empty when every expression bound.
    /// </summary>
    public IReadOnlyList<string> FailedExpressions { get; protected set; } = [];

    /// <summary>Compiles this action's expressions for <paramref name="layout"/>; once per layout.</summary>
    public bool Prepare(ProbeFrameLayout layout)
    {
        if (ReferenceEquals(_preparedFor, layout)) return PrepareError is null;
        FailedExpressions = [];
        try
        {
            PrepareError = PrepareCore(layout);
        }
        catch (Exception e)
        {
            PrepareError = $"could not prepare: {e.Message}";
        }
        _preparedFor = layout;
        return PrepareError is null;
    }

    /// <summary>Compiles against the layout; returns an error message or null.</summary>
    protected abstract string? PrepareCore(ProbeFrameLayout layout);

    /// <summary>Does the work of a hit whose limits and condition passed. May throw; the runtime isolates it.</summary>
    public abstract void Process(Hit hit);

    /// <summary>
    /// A copy for another placement of the same location (an overload): it compiles its expressions against that
    /// placement's layout and shares this action's rate limiter, so the tracepoint's fire count is counted once.
    /// </summary>
    public ProbeAction CopyForAlias()
    {
        var copy = (ProbeAction)MemberwiseClone();
        copy._preparedFor = null;
        copy.PrepareError = null;
        copy.Condition = null;
        copy.FailedExpressions = [];
        copy._runtimeErrorReported = 0;
        return copy;
    }

    /// <summary>True the first time only, so a runtime error is reported once per action rather than per hit.</summary>
    public bool FirstRuntimeError() => Interlocked.Exchange(ref _runtimeErrorReported, 1) == 0;

    /// <summary>Reports an error at a hit, the first time only.</summary>
    public void ReportRuntimeError(string message)
    {
        if (FirstRuntimeError()) ProbeRuntime.ReportError(this, message);
    }
}
