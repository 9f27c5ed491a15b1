namespace Deep.Agent.Expressions;

/// <summary>A syntax error or a forbidden construct found while compiling an expression.</summary>
internal sealed class ExpressionSyntaxException(string message, int position) : Exception(message)
{
    /// <summary>0-based offset in the source where the problem starts.</summary>
    public int Position { get; } = position;

    /// <summary>The message a developer reads: what is wrong and where (1-based position).</summary>
    public string Describe() => Message + " (at position " + (Position + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";
}

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
