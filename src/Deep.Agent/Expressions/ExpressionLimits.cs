using Deep.Tracepoints.Expressions;

namespace Deep.Agent.Expressions;

/// <summary>
/// The fixed limits that keep an expression from hurting the application: how big its text and syntax tree may be
/// (checked when compiled), and how much one evaluation may read, create and spend (checked while it runs, before each
/// call whose cost grows with its input). Documented in docs/expressions.md.
/// </summary>
internal static class ExpressionLimits
{
    /// <summary>How deeply an expression may nest : each parenthesis, unary operator, cast, link of an operator, member or call chain, argument list, <c>?:</c> and <c>??</c> is one level; checked when it is parsed.</summary>
    public const int MaxNestingDepth = SyntaxLimits.MaxNestingDepth;

    /// <summary>The longest expression text, in characters.</summary>
    public const int MaxExpressionLength = SyntaxLimits.MaxExpressionLength;

    /// <summary>The longest log template (<c>log_msg</c>), in characters.</summary>
    public const int MaxTemplateLength = SyntaxLimits.MaxTemplateLength;

    /// <summary>How many <c>{expression}</c> parts one log template may have.</summary>
    public const int MaxTemplateExpressions = SyntaxLimits.MaxTemplateExpressions;

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
    public static string Abbreviate(string? source) => SyntaxLimits.Abbreviate(source);
}
