namespace Deep.Tracepoints.Expressions;

/// <summary>What kind of problem stopped an expression from compiling.</summary>
internal enum ExpressionErrorKind
{
    /// <summary>It does not fit the program at the probed line: a member that is not allowed, a type mismatch...</summary>
    Binding,

    /// <summary>A name that is not a variable, field or type in scope at the probed line.</summary>
    UnknownName,

    /// <summary>Malformed or forbidden whatever the program (the server refuses these when a tracepoint is created).</summary>
    Syntax,
}

/// <summary>
/// A syntax error (found by <see cref="Parser"/>: always <see cref="ExpressionErrorKind.Syntax"/>) or a forbidden
/// construct or unknown name (found by the agent's binder) in an expression, with where it starts.
/// </summary>
internal sealed class ExpressionSyntaxException(string message, int position, ExpressionErrorKind kind = ExpressionErrorKind.Binding) : Exception(message)
{
    /// <summary>A problem with the text itself, whatever the program.</summary>
    public static ExpressionSyntaxException Syntax(string message, int position) => new(message, position, ExpressionErrorKind.Syntax);

    /// <summary>Whether the text is malformed, or names something the probed line does not have, or does not fit it.</summary>
    public ExpressionErrorKind Kind { get; } = kind;

    /// <summary>0-based offset in the source where the problem starts.</summary>
    public int Position { get; } = position;

    /// <summary>The message a developer reads: what is wrong and where (1-based position).</summary>
    public string Describe() => Message + " (at position " + (Position + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";
}
