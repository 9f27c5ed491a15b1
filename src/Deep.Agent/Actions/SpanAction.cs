using System.Diagnostics;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;

namespace Deep.Agent.Actions;

/// <summary>
/// Starts an <see cref="Activity"/> from <c>ActivitySource("deep")</c> (§7) and stops it when the hit completes,
/// restoring the previous <see cref="Activity.Current"/> on every path. Until the profiler's method entry/exit hooks
/// exist (probe-abi.md §1), a line probe has no "end of line" callback, so the span covers the probe's hit.
/// </summary>
internal sealed class SpanAction : ProbeAction
{
    /// <summary>The source every tracepoint span comes from.</summary>
    public static readonly ActivitySource Source = new("deep");

    private readonly string _name;

    public SpanAction(TracePointConfig tracepoint, RateLimiter limiter, string name)
        : base(tracepoint, limiter)
    {
        _name = name;
    }

    public override ActionKind Kind => ActionKind.Span;

    protected override string? PrepareCore(ProbeFrameLayout layout)
    {
        Condition = Conditions.Compile(Tracepoint.Args.GetValueOrDefault("condition"), new ProbeScope(layout), this, out var error);
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
