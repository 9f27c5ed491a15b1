namespace Deep.Agent.Expressions;

/// <summary>An expression compiled once, evaluated per hit.</summary>
public sealed class CompiledExpression<TContext>
{
    /// <summary>The expression's text.</summary>
    public string Source { get; } = "";

    /// <summary>The compile-time error, or null when the expression compiled.</summary>
    public string? Error { get; }

    /// <summary>The static type of the result; null when it did not compile.</summary>
    public Type? ResultType { get; }

    /// <summary>Evaluates against one hit's context; never throws.</summary>
    public ExpressionResult Evaluate(TContext context) => throw new NotImplementedException();

    /// <summary>True only when the expression evaluates to the boolean <c>true</c>; never throws.</summary>
    public bool EvaluateCondition(TContext context, out string? error) => throw new NotImplementedException();
}
