using System.Linq.Expressions;

namespace Deep.Agent.Expressions;

/// <summary>What the parser has bound so far: a value (a LINQ expression) or a type name (for static members and casts).</summary>
internal sealed class Operand
{
    public Operand(Expression expression, string text, int position)
    {
        Expression = expression;
        Text = text;
        Position = position;
    }

    public Operand(Type typeName, string text, int position)
    {
        TypeName = typeName;
        Text = text;
        Position = position;
    }

    /// <summary>The value; null when this operand names a type.</summary>
    public Expression? Expression { get; }

    /// <summary>The type named; null for a value.</summary>
    public Type? TypeName { get; }

    /// <summary>The source text of this operand, for error messages ("'order.Customer' is null").</summary>
    public string Text { get; }

    /// <summary>0-based position in the source.</summary>
    public int Position { get; }

    /// <summary>The literal <c>null</c>: converts to any reference or nullable type.</summary>
    public bool IsNullLiteral { get; init; }

    /// <summary>Known not to be null (the value inside a <c>?.</c>): member access needs no null check.</summary>
    public bool KnownNotNull { get; init; }

    /// <summary>A value whose static type is <c>object</c>: members and operators are resolved at run time.</summary>
    public bool IsDynamic => Expression != null && Expression.Type == typeof(object) && !IsNullLiteral;
}
