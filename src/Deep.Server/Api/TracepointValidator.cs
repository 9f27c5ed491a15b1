using Deep.Tracepoints;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Api;

/// <summary>
/// Checks a tracepoint before it is stored, so a person learns at once that it can never work (rather than an agent
/// rejecting it later): its <see cref="TracepointSpec"/> (the rules every part of DEEP reads a tracepoint by) and the
/// limits only the server sets.
/// </summary>
internal static class TracepointValidator
{
    /// <summary>The most watch expressions one tracepoint may have.</summary>
    public const int MaxWatches = 100;

    /// <summary>Every problem with <paramref name="tp"/>, named by field; empty when it is acceptable.</summary>
    public static IReadOnlyList<FieldError> Validate(TracePointConfig tp)
    {
        ArgumentNullException.ThrowIfNull(tp);
        var errors = new List<FieldError>(TracepointSpec.Parse(Input(tp)).Errors);
        if (tp.Watches.Count > MaxWatches)
            errors.Add(new FieldError("watches", $"the tracepoint has {tp.Watches.Count} watches; at most {MaxWatches} are allowed"));
        return errors;
    }

    /// <summary>The generated protocol type as the spec reads it.</summary>
    internal static TracepointInput Input(TracePointConfig tp) => new(
        tp.Path,
        tp.LineNumber,
        tp.Args,
        tp.Watches,
        tp.Metrics.Select(m => new MetricInput(
            m.Name,
            m.HasExpression ? m.Expression : null,
            m.LabelExpressions.Select(l => new LabelInput(l.Key, l.ValueCase == LabelExpression.ValueOneofCase.Expression ? l.Expression : null)).ToList())).ToList());
}
