namespace Deep.Agent.Expressions;

/// <summary>A log message template (spec §6): <c>{expr}</c> parts, <c>{{</c> and <c>}}</c> literal braces.</summary>
public sealed class LogTemplate<TContext>
{
    /// <summary>Parses the template and compiles its expressions; never throws.</summary>
    public static LogTemplate<TContext> Compile(string template, IExpressionScope scope) => throw new NotImplementedException();

    /// <summary>A template syntax error (unbalanced braces), or null.</summary>
    public string? Error { get; }

    /// <summary>The expressions of the template, in order.</summary>
    public IReadOnlyList<CompiledExpression<TContext>> Expressions { get; } = [];

    /// <summary>Renders the message; when <paramref name="results"/> is given, each expression's result is added to it.</summary>
    public string Render(TContext context, List<(string Expression, ExpressionResult Result)>? results = null) => throw new NotImplementedException();
}
