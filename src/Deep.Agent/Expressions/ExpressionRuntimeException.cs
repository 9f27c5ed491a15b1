namespace Deep.Agent.Expressions;

/// <summary>A failure while evaluating an expression whose message is already meant for a person.</summary>
internal sealed class ExpressionRuntimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExpressionRuntimeException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ExpressionRuntimeException() { }

    /// <summary>Creates the exception.</summary>
    public ExpressionRuntimeException(string message, Exception inner) : base(message, inner) { }
}
