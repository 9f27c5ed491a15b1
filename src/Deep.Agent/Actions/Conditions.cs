using Deep.Agent.Expressions;
using Deep.Agent.Probes;

namespace Deep.Agent.Actions;

/// <summary>Turns a tracepoint's <c>condition</c> into the delegate the probe runtime calls.</summary>
internal static class Conditions
{
    /// <summary>Compiles <paramref name="source"/>; null with an error when it does not compile.</summary>
    public static Func<HitState, bool>? Compile(string? source, IExpressionScope scope, ProbeAction owner, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(source)) return null;
        var compiled = ExpressionCompiler.Compile<HitState>(source, scope);
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
