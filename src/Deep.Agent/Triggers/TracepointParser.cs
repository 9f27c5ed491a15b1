using Deep.Agent.Actions;
using Deep.Agent.Capture;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;
using Deep.Tracepoints;

namespace Deep.Agent.Triggers;

/// <summary>Where a probe goes; tracepoints with equal locations share one probe.</summary>
internal sealed record LocationKey(string Path, int Line, string? MethodName, string? ClassName, TracepointStage Stage)
{
    public override string ToString() => MethodName is null ? $"{Path}:{Line} ({Stage})" : $"{Path} {ClassName}.{MethodName} ({Stage})";
}

/// <summary>A tracepoint turned into a location and its actions, or the one reason it was rejected.</summary>
internal sealed record ParsedTracepoint(TracePointConfig Tracepoint, LocationKey? Location, IReadOnlyList<ProbeAction> Actions, string? Error);

/// <summary>
/// Turns a tracepoint into its location and actions (spec §2): the arguments are read once, by
/// <see cref="TracepointSpec"/>, whose problems reject the tracepoint; the actions get typed values from it.
/// </summary>
internal static class TracepointParser
{
    public static ParsedTracepoint Parse(TracePointConfig tp, AgentContext context)
    {
        try
        {
            return ParseCore(tp, context);
        }
        catch (Exception e)
        {
            return new ParsedTracepoint(tp, null, [], $"could not be read: {e.Message}");
        }
    }

    /// <summary>The spec of a tracepoint as the agent received it.</summary>
    public static TracepointSpec Spec(TracePointConfig tp) => TracepointSpec.Parse(new TracepointInput(
        tp.Path,
        tp.LineNumber,
        tp.Args,
        tp.Watches,
        tp.Metrics.Select(m => new MetricInput(m.Name, m.Expression, m.LabelExpressions.Select(l => new LabelInput(l.Key, l.Expression)).ToList())).ToList()));

    private static ParsedTracepoint ParseCore(TracePointConfig tp, AgentContext context)
    {
        var spec = Spec(tp);
        if (spec.Errors.Count > 0) return new ParsedTracepoint(tp, null, [], string.Join("; ", spec.Errors.Select(e => e.Message)));

        RateLimiter Limiter() => new(spec.FireCount, spec.FirePeriodMs, spec.WindowStartMs, spec.WindowEndMs);
        var location = new LocationKey(tp.Path, spec.Line, spec.MethodName, spec.ClassName, spec.Stage);
        var actions = new List<ProbeAction>();
        if (spec.HasSnapshotAction) actions.Add(new SnapshotAction(tp, spec, Limiter(), context, context.Limits.WithOverrides(spec.Limits)));
        if (spec.HasLogAction) actions.Add(new LogAction(tp, spec, Limiter(), context));
        if (spec.HasMetricAction) actions.Add(new MetricAction(tp, spec, Limiter(), context.Redactor));
        if (spec.HasSpanAction) actions.Add(new SpanAction(tp, spec, Limiter()));
        return new ParsedTracepoint(tp, location, actions, null);
    }
}
