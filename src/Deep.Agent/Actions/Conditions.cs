using Deep.Agent.Expressions;
using Deep.Agent.Probes;
using Deep.Tracepoints.Expressions;

namespace Deep.Agent.Actions;

/// <summary>Turns a tracepoint's <c>condition</c> into the delegate the probe runtime calls.</summary>
internal static class Conditions
{
    /// <summary>
    /// Compiles <paramref name="condition"/> (null: none); null with an error when it does not bind: unlike a watch, a
    /// condition that cannot be evaluated rejects its tracepoint (firing without it would ignore what was asked).
    /// </summary>
    public static Func<HitState, bool>? Compile(ExpressionTree? condition, ExpressionBinding binding, ProbeAction owner, out string? error)
    {
        error = null;
        if (condition is null) return null;
        var shown = ExpressionLimits.Abbreviate(condition.Source);
        var compiled = ExpressionCompiler.Compile<HitState>(condition, binding.Scope);
        error = binding.Describe($"condition '{shown}'", compiled);
        if (error is not null) return null;
        return hit =>
        {
            if (compiled.EvaluateCondition(hit, out var runtimeError)) return true;
            if (runtimeError is not null) owner.ReportRuntimeError($"condition '{shown}' failed: {runtimeError}");
            return false;
        };
    }
}
