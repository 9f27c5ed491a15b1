namespace Deep.Agent.Expressions;

/// <summary>The outcome of evaluating an expression: a value with its runtime type, or an error message.</summary>
/// <param name="Value">The value (boxed); null for a null result or an error.</param>
/// <param name="Type">The static result type of the expression; null when it did not compile.</param>
/// <param name="Error">Why there is no value; null on success.</param>
internal readonly record struct ExpressionResult(object? Value, Type? Type, string? Error)
{
    /// <summary>True when evaluation failed (compile error, runtime error, or disabled by the time budget).</summary>
    public bool IsError => Error != null;
}
