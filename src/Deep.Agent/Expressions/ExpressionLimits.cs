namespace Deep.Agent.Expressions;

/// <summary>
/// The fixed limits that keep an expression from hurting the application: how big its text and syntax tree may be
/// (checked when compiled), and how much one evaluation may read, create and spend (checked while it runs, before each
/// call whose cost grows with its input). Documented in docs/expressions.md.
/// </summary>
internal static class ExpressionLimits
{
    /// <summary>
    /// How deeply an expression may nest: each parenthesis, unary operator, cast, operator of a chain
    /// (<c>a &amp;&amp; b &amp;&amp; c</c> is 2 deep), member access or call of a chain, argument list, <c>?:</c> and
    /// <c>??</c> is one level. Deeper is refused when compiled (the parser and the compiler recurse over the tree). The
    /// server refuses the same depth.
    /// </summary>
    public const int MaxNestingDepth = 100;

    /// <summary>The longest expression text, in characters.</summary>
    public const int MaxExpressionLength = 4096;

    /// <summary>The longest log template (<c>log_msg</c>), in characters.</summary>
    public const int MaxTemplateLength = 16 * 1024;

    /// <summary>How many <c>{expression}</c> parts one log template may have.</summary>
    public const int MaxTemplateExpressions = 64;

    /// <summary>The longest string an evaluation may create (a method's result, a concatenation), in characters.</summary>
    public const int MaxResultLength = 64 * 1024;

    /// <summary>The longest string a string method or operator reads (its receiver or a string argument), in characters.</summary>
    public const int MaxInputLength = 1024 * 1024;

    /// <summary>
    /// The most character comparisons a substring search may need in the worst case (haystack length × needle length,
    /// roughly): <c>text.Contains(word)</c>, <c>IndexOf</c>, <c>Replace</c>, <c>Split</c> with a string separator.
    /// </summary>
    public const long MaxSearchWork = 32L * 1024 * 1024;

    /// <summary>The most items a linear collection search (<c>list.Contains(x)</c>, <c>IndexOf</c>, <c>ContainsValue</c>) may read.</summary>
    public const int MaxCollectionScan = 1024 * 1024;

    /// <summary>The expression's text shortened for an error message (a refused expression may be huge).</summary>
    public static string Abbreviate(string? source)
    {
        const int shown = 100;
        source ??= "";
        return source.Length <= shown ? source : string.Concat(source.AsSpan(0, shown), "... (", source.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), " characters)");
    }
}
