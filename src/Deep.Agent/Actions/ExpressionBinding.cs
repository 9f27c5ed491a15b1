using Deep.Agent.Diagnostics;
using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;
using Deep.Tracepoints.Expressions;

namespace Deep.Agent.Actions;

/// <summary>
/// Compiles one action's expressions against its probe's layout and keeps, per expression, why one failed. A
/// malformed expression (a syntax error, a forbidden construct: the server refuses those too) rejects the
/// tracepoint; one that is well formed but does not bind at the probed line (an unknown name, a member that is not
/// allowed, a type mismatch) fails alone: a watch becomes its <c>error_result</c>, a log part renders as
/// <c>{expression: reason}</c>, a metric is skipped, and <see cref="Failures"/> says which and why.
/// </summary>
internal sealed class ExpressionBinding
{
    private readonly List<string> _failures = [];
    private readonly bool _optimized;

    public ExpressionBinding(ProbeFrameLayout layout)
    {
        Scope = new ProbeScope(layout);
        _optimized = OptimizedCode.IsOptimized(layout.Method);
    }

    public IExpressionScope Scope { get; }

    /// <summary>The expressions that failed alone, each as "<c>watch 'x': reason</c>".</summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>What went wrong with <paramref name="compiled"/>, named by <paramref name="label"/>; null when it compiled.</summary>
    public string? Describe(string label, CompiledExpression<HitState> compiled)
    {
        if (compiled.Error is not { } error) return null;
        var text = label + ": " + error;
        // A Release build keeps some locals only on the evaluation stack: the PDB then has no such name at the line.
        if (compiled.ErrorKind == ExpressionErrorKind.UnknownName && _optimized)
            text += " (the method is optimized, a Release build: the compiler may have removed this local)";
        return text;
    }

    /// <summary>
    /// Compiles an expression that may fail alone: returns it (with its <see cref="CompiledExpression{T}.Error"/>
    /// when it failed to bind, recorded in <see cref="Failures"/>), or null with <paramref name="rejection"/> when it
    /// is malformed.
    /// </summary>
    public CompiledExpression<HitState>? Compile(string label, ExpressionTree expression, out string? rejection)
    {
        var compiled = ExpressionCompiler.Compile<HitState>(expression, Scope);
        rejection = Record(label, compiled);
        return rejection is null ? compiled : null;
    }

    /// <summary>Compiles a log template: null with <paramref name="rejection"/> when it is malformed.</summary>
    public LogTemplate<HitState>? CompileTemplate(LogTemplateSyntax template, out string? rejection)
    {
        var compiled = LogTemplate<HitState>.Compile(template, Scope);
        if (compiled.Error is { } e)
        {
            rejection = $"log_msg '{ExpressionLimits.Abbreviate(template.Template)}': {e}";
            return null;
        }
        foreach (var part in compiled.Expressions) Record($"log_msg part '{{{ExpressionLimits.Abbreviate(part.Source)}}}'", part);
        rejection = null;
        return compiled;
    }

    /// <summary>The rejection when <paramref name="compiled"/> is malformed; a binding failure is recorded instead.</summary>
    private string? Record(string label, CompiledExpression<HitState> compiled)
    {
        if (Describe(label, compiled) is not { } text) return null;
        if (compiled.ErrorKind == ExpressionErrorKind.Syntax) return text;
        _failures.Add(text);
        return null;
    }

    /// <summary>Writes each failure to the agent's log once, when the action is bound to its probe.</summary>
    public void Log(ProbeAction action)
    {
        foreach (var failure in _failures) SelfLog.Warning($"tracepoint {action.TracepointId}: {failure}");
    }
}
