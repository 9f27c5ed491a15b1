namespace Deep.Agent.Expressions;

/// <summary>
/// Names the variables an expression may read. The probe's glue implements it over its per-hit context type, so a
/// compiled expression reads a local straight out of the context, typed and without boxing.
/// </summary>
internal interface IExpressionScope
{
    /// <summary>An expression reading variable <paramref name="name"/> from <paramref name="context"/>, or null if there is no such name.</summary>
    System.Linq.Expressions.Expression? Resolve(string name, System.Linq.Expressions.ParameterExpression context);
}
