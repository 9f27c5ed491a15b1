using Deep.Agent.Expressions;
using Deep.Agent.Probes;
using Deep.Tracepoints.Expressions;

namespace Deep.Agent.Actions;

/// <summary>Turns a tracepoint's <c>condition</c> into the delegate the probe runtime calls.</summary>
internal static class Conditions
{
    /// <summary>Compiles <paramref name="condition"/> (null: none); null with an error when it does not bind.</summary>
    public static Func<HitState, bool>? Compile(ExpressionTree? condition, IExpressionScope scope, ProbeAction owner, out string? error)
    {
        error = null;
        if (condition is null) return null;
        var source = condition.Source;
        var compiled = ExpressionCompiler.Compile<HitState>(condition, scope);
        if (compiled.Error is { } e)
        {
            error = $"condition '{ExpressionLimits.Abbreviate(source)}': {e}";
            return null;
        }
        var shown = ExpressionLimits.Abbreviate(source);
        return hit =>
        {
            if (compiled.EvaluateCondition(hit, out var runtimeError)) return true;
            if (runtimeError is not null) owner.ReportRuntimeError($"condition '{shown}' failed: {runtimeError}");
            return false;
        };
    }
}
