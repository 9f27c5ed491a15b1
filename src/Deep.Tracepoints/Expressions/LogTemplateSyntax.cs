using System.Globalization;
using System.Text;

namespace Deep.Tracepoints.Expressions;

/// <summary>What one item of a parsed log template is.</summary>
internal enum TemplateItemKind
{
    /// <summary>Text written as is (<c>{{</c> and <c>}}</c> already turned into braces).</summary>
    Literal,

    /// <summary>An <c>{expression}</c> part: parsed, or with its syntax error.</summary>
    Expression,

    /// <summary>A problem with the template itself (an unclosed <c>{</c>, a lone <c>}</c>, an empty <c>{}</c>, too many parts).</summary>
    Error,
}

/// <summary>
/// One item of a log template, in source order. <see cref="Text"/> is the literal text, the expression's text between
/// the braces (untrimmed), or the error message. <see cref="Position"/> is 0-based in the template (the <c>{</c> of an
/// expression part).
/// </summary>
internal sealed record TemplateItem(TemplateItemKind Kind, string Text, int Position, ExpressionTree? Tree = null, ExpressionSyntaxException? SyntaxError = null)
{
    /// <summary>For an expression part: the message a person reads when it does not parse (or, from the agent, bind).</summary>
    public string DescribePart(string error) => "'{" + SyntaxLimits.Abbreviate(Text) + "}': " + error;
}

/// <summary>
/// A log message template (spec §6) parsed once: literal text and <c>{expression}</c> parts, each parsed to a syntax
/// tree; <c>{{</c> and <c>}}</c> are literal braces. Problems are items too, in source order, so the first problem of
/// the template (structural, syntax, or the agent's binding) is the first one met reading it.
/// </summary>
internal sealed record LogTemplateSyntax(string Template, IReadOnlyList<TemplateItem> Items)
{
    /// <summary>The expression parts, in order.</summary>
    public IEnumerable<TemplateItem> ExpressionParts => Items.Where(i => i.Kind == TemplateItemKind.Expression);

    /// <summary>Every problem found without the program: template errors and expression syntax errors, in order.</summary>
    public IEnumerable<string> Problems => Items.Select(i => i.Kind switch
    {
        TemplateItemKind.Error => i.Text,
        TemplateItemKind.Expression when i.SyntaxError is { } e => i.DescribePart(e.Describe()),
        _ => null,
    }).OfType<string>();

    /// <summary>Parses <paramref name="template"/>; never throws (problems are items).</summary>
    public static LogTemplateSyntax Parse(string template)
    {
        template ??= "";
        var items = new List<TemplateItem>();
        if (template.Length > SyntaxLimits.MaxTemplateLength)
        {
            // Every hit would render it: refused whole rather than cut.
            items.Add(new TemplateItem(TemplateItemKind.Error, "the log template is " + Number(template.Length) + " characters long; at most " + Number(SyntaxLimits.MaxTemplateLength) + " are allowed", 0));
            return new LogTemplateSyntax(template, items);
        }
        var literal = new StringBuilder();
        var expressions = 0;
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                literal.Append('{');
                i += 2;
                continue;
            }
            if (c == '}')
            {
                if (i + 1 < template.Length && template[i + 1] == '}')
                {
                    literal.Append('}');
                    i += 2;
                    continue;
                }
                items.Add(new TemplateItem(TemplateItemKind.Error, "unmatched '}' at position " + Number(i + 1) + " of the log template (write '}}' for a brace)", i));
                literal.Append('}');
                i++;
                continue;
            }
            if (c != '{')
            {
                literal.Append(c);
                i++;
                continue;
            }
            var end = FindClose(template, i + 1);
            if (end < 0)
            {
                items.Add(new TemplateItem(TemplateItemKind.Error, "unclosed '{' at position " + Number(i + 1) + " of the log template (write '{{' for a brace)", i));
                literal.Append(template, i, template.Length - i);
                break;
            }
            var source = template[(i + 1)..end];
            if (literal.Length > 0)
            {
                items.Add(new TemplateItem(TemplateItemKind.Literal, literal.ToString(), i - literal.Length));
                literal.Clear();
            }
            if (source.Trim().Length == 0)
            {
                items.Add(new TemplateItem(TemplateItemKind.Error, "empty '{}' at position " + Number(i + 1) + " of the log template", i));
            }
            if (expressions == SyntaxLimits.MaxTemplateExpressions)
            {
                items.Add(new TemplateItem(TemplateItemKind.Error, "the log template has more than " + Number(SyntaxLimits.MaxTemplateExpressions) + " {expressions} (at position " + Number(i + 1) + ")", i));
                break;
            }
            expressions++;
            try
            {
                items.Add(new TemplateItem(TemplateItemKind.Expression, source, i, Parser.Parse(source.Trim())));
            }
            catch (ExpressionSyntaxException e)
            {
                items.Add(new TemplateItem(TemplateItemKind.Expression, source, i, SyntaxError: e));
            }
            i = end + 1;
        }
        if (literal.Length > 0)
        {
            items.Add(new TemplateItem(TemplateItemKind.Literal, literal.ToString(), template.Length - literal.Length));
        }
        return new LogTemplateSyntax(template, items);
    }

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    // The '}' closing an expression, skipping string and char literals (so "{name + \"}\"}" works).
    private static int FindClose(string template, int from)
    {
        for (var i = from; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '}')
            {
                return i;
            }
            if (c is '"' or '\'')
            {
                var verbatim = c == '"' && i > from && template[i - 1] == '@';
                for (i++; i < template.Length && template[i] != c; i++)
                {
                    if (template[i] == '\\' && !verbatim) i++;
                }
                if (i >= template.Length)
                {
                    return -1;
                }
            }
        }
        return -1;
    }
}
