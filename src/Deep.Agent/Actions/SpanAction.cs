using System.Diagnostics;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;
using Deep.Tracepoints;

namespace Deep.Agent.Actions;

/// <summary>
/// Starts an <see cref="Activity"/> from <c>ActivitySource("deep")</c> (§7), nested under the current one, and stops
/// it at the end of the line (<c>span=line</c>) or of the method (<c>span=method</c>), restoring the previous
/// <see cref="Activity.Current"/> on every path. When the probed method has exit hooks (probe-abi.md §1) the span
/// goes on the thread's span stack and the frame's <c>SpanEnd</c> / <c>FrameExit</c> stop it (also when the line or
/// method throws); without them (the engine could not give the method exit hooks) the span covers the hit only.
/// </summary>
internal sealed class SpanAction : ProbeAction
{
    /// <summary>The source every tracepoint span comes from.</summary>
    public static readonly ActivitySource Source = new("deep");

    private readonly string _name;
    private readonly TracepointSpec _spec;

    public SpanAction(TracePointConfig tracepoint, TracepointSpec spec, RateLimiter limiter)
        : base(tracepoint, limiter)
    {
        _spec = spec;
        _name = spec.SpanName;
    }

    public override ActionKind Kind => ActionKind.Span;

    /// <summary>The tracepoint's <c>span</c>: <c>line</c> or <c>method</c>.</summary>
    public string Scope => _spec.Span == SpanScope.Method ? "method" : "line";

    protected override string? PrepareCore(ProbeFrameLayout layout)
    {
        Condition = Conditions.Compile(_spec.Condition, new ExpressionBinding(layout), this, out var error);
        return error;
    }

    public override void Process(Hit hit)
    {
        var previous = Activity.Current;
        Activity? activity = null;
        try
        {
            activity = Source.StartActivity(_name, ActivityKind.Internal);
            if (activity is null) return; // nobody listens: no span, nothing to restore
            activity.SetTag("dynamic", "deep");
            activity.SetTag("tracepoint", TracepointId);
            activity.SetTag("context", hit.ContextId);
            var started = activity;
            if (hit.Layout.HasExitHooks)
            {
                ProbeRuntime.PushSpan(started, previous, hit.ProbeId);
                activity = null;
                return;
            }
            hit.OnComplete(() =>
            {
                try
                {
                    started.Stop();
                }
                finally
                {
                    Activity.Current = previous;
                }
            });
            activity = null;
        }
        finally
        {
            // Failed between start and registering the completion: stop it here and restore.
            if (activity is not null)
            {
                activity.Stop();
                Activity.Current = previous;
            }
        }
    }
}
