namespace Deep.Tracepoints.Expressions;

/// <summary>
/// A syntax error (found by <see cref="Parser"/>) or a forbidden construct or unknown name (found by the agent's binder)
/// in an expression, with where it starts.
/// </summary>
internal sealed class ExpressionSyntaxException(string message, int position) : Exception(message)
{
    /// <summary>0-based offset in the source where the problem starts.</summary>
    public int Position { get; } = position;

    /// <summary>The message a developer reads: what is wrong and where (1-based position).</summary>
    public string Describe() => Message + " (at position " + (Position + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";
}
