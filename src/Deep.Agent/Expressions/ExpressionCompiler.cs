namespace Deep.Agent.Expressions;

/// <summary>Compiles the safe C# expression subset of spec §8 to delegates.</summary>
public static class ExpressionCompiler
{
    /// <summary>Parses and compiles <paramref name="source"/> once; never throws (a bad expression carries <see cref="CompiledExpression{TContext}.Error"/>).</summary>
    public static CompiledExpression<TContext> Compile<TContext>(string source, IExpressionScope scope)
        => throw new NotImplementedException();
}
