namespace Deep.Tracepoints.Expressions;

/// <summary>
/// How big an expression's text and syntax tree may be: checked when it is parsed, by the agent and the server alike.
/// The limits on evaluation live with the agent (<c>Deep.Agent.Expressions.ExpressionLimits</c>).
/// </summary>
internal static class SyntaxLimits
{
    /// <summary>
    /// How deeply an expression may nest: each parenthesis, unary operator, cast, operator of a chain
    /// (<c>a &amp;&amp; b &amp;&amp; c</c> is 2 deep), member access or call of a chain, argument list, <c>?:</c> and
    /// <c>??</c> is one level. Deeper is refused when parsed (the parser and the agent's compiler recurse over the tree).
    /// </summary>
    public const int MaxNestingDepth = 100;

    /// <summary>The longest expression text, in characters.</summary>
    public const int MaxExpressionLength = 4096;

    /// <summary>The longest log template (<c>log_msg</c>), in characters.</summary>
    public const int MaxTemplateLength = 16 * 1024;

    /// <summary>How many <c>{expression}</c> parts one log template may have.</summary>
    public const int MaxTemplateExpressions = 64;

    /// <summary>The expression's text shortened for an error message (a refused expression may be huge).</summary>
    public static string Abbreviate(string? source)
    {
        const int shown = 100;
        source ??= "";
        return source.Length <= shown ? source : string.Concat(source.AsSpan(0, shown), "... (", source.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), " characters)");
    }
}
