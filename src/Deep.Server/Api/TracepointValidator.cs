using Deep.Tracepoints;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Api;

/// <summary>
/// Checks a tracepoint before it is stored, so a person learns at once that it can never work (rather than an agent
/// rejecting it later): its <see cref="TracepointSpec"/>, the rules (and the watch limit) every part of DEEP reads a
/// tracepoint by.
/// </summary>
internal static class TracepointValidator
{
    /// <summary>Every problem with <paramref name="tp"/>, named by field; empty when it is acceptable.</summary>
    public static IReadOnlyList<FieldError> Validate(TracePointConfig tp)
    {
        ArgumentNullException.ThrowIfNull(tp);
        return TracepointSpec.Parse(Input(tp)).Errors;
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
