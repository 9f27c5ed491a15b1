using System.Text;
using Deep.Agent.Capture;

namespace Deep.Agent.Expressions;

/// <summary>
/// A log message template (spec §6): each <c>{expr}</c> is replaced by the text of its value, formatted as a
/// captured variable's value (<c>null</c>, <c>true</c>, invariant numbers, enum names, <c>List&lt;int&gt; of size: 3</c>,
/// other objects by type name); <c>{{</c> and <c>}}</c> are literal braces. A part that failed (when compiled or
/// when evaluated) inserts <c>{expression: reason}</c>. Thread-safe.
/// </summary>
internal sealed class LogTemplate<TContext>
{
    private readonly List<(string? Literal, CompiledExpression<TContext>? Expression)> _parts;

    private LogTemplate(string template, string? error, List<(string?, CompiledExpression<TContext>?)> parts)
    {
        Template = template;
        Error = error;
        _parts = parts;
        Expressions = parts.Where(p => p.Item2 != null).Select(p => p.Item2!).ToList();
    }

    /// <summary>The template's text.</summary>
    public string Template { get; }

    /// <summary>
    /// A template syntax error (an unclosed <c>{</c>, a lone <c>}</c>, an empty <c>{}</c>) or the first expression's
    /// syntax error; null when the template is well formed. A part that is well formed but does not bind at the
    /// probed line is not an error of the template: it has its own <see cref="CompiledExpression{TContext}.Error"/>
    /// and renders as <c>{expression: reason}</c>.
    /// </summary>
    public string? Error { get; }

    /// <summary>The expressions of the template, in order.</summary>
    public IReadOnlyList<CompiledExpression<TContext>> Expressions { get; }

    /// <summary>The longest text one value may insert.</summary>
    public int MaxValueLength { get; init; } = CaptureLimits.Default.MaxStringLength;

    /// <summary>Parses the template and compiles its expressions; never throws.</summary>
    public static LogTemplate<TContext> Compile(string template, IExpressionScope scope)
    {
        template ??= "";
        var parts = new List<(string?, CompiledExpression<TContext>?)>();
        if (template.Length > ExpressionLimits.MaxTemplateLength)
        {
            // Every hit would render it: refused whole rather than cut.
            return new LogTemplate<TContext>(template, "the log template is " + template.Length + " characters long; at most " + ExpressionLimits.MaxTemplateLength + " are allowed", parts);
        }
        var literal = new StringBuilder();
        string? error = null;
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
                error ??= "unmatched '}' at position " + (i + 1) + " of the log template (write '}}' for a brace)";
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
                error ??= "unclosed '{' at position " + (i + 1) + " of the log template (write '{{' for a brace)";
                literal.Append(template, i, template.Length - i);
                break;
            }
            var source = template[(i + 1)..end];
            if (literal.Length > 0)
            {
                parts.Add((literal.ToString(), null));
                literal.Clear();
            }
            if (source.Trim().Length == 0)
            {
                error ??= "empty '{}' at position " + (i + 1) + " of the log template";
            }
            if (parts.Count(p => p.Item2 != null) == ExpressionLimits.MaxTemplateExpressions)
            {
                error ??= "the log template has more than " + ExpressionLimits.MaxTemplateExpressions + " {expressions} (at position " + (i + 1) + ")";
                break;
            }
            var compiled = ExpressionCompiler.Compile<TContext>(source.Trim(), scope);
            // Malformed text rejects the template (the server refuses it too); a part that does not fit the probed
            // line (an unknown name, a member not allowed) is that part's error on every line, and the line is written.
            if (compiled.Error != null && compiled.ErrorKind == ExpressionErrorKind.Syntax)
            {
                error ??= "'{" + ExpressionLimits.Abbreviate(source) + "}': " + compiled.Error;
            }
            parts.Add((null, compiled));
            i = end + 1;
        }
        if (literal.Length > 0)
        {
            parts.Add((literal.ToString(), null));
        }
        return new LogTemplate<TContext>(template, error, parts);
    }

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

    /// <summary>Renders the message; never throws. When <paramref name="results"/> is given, each expression's result is added to it.</summary>
    public string Render(TContext context, List<(string Expression, ExpressionResult Result)>? results = null)
        => Render(context, results, redactor: null);

    /// <summary>
    /// Renders the message; never throws. A part whose expression names a redacted member (<c>{user.Password}</c>) is
    /// written as <c>[redacted]</c>, as capture shows such a value: a log line must not leak what a snapshot hides.
    /// </summary>
    public string Render(TContext context, List<(string Expression, ExpressionResult Result)>? results, Capture.Redactor? redactor)
    {
        var sb = new StringBuilder();
        foreach (var (literal, expression) in _parts)
        {
            if (literal != null)
            {
                sb.Append(literal);
                continue;
            }
            var result = expression!.Evaluate(context);
            results?.Add((expression.Source, result));
            if (result.IsError)
            {
                AppendFailure(sb, expression.Source, result.Error!);
                continue;
            }
            if (redactor is not null && redactor.IsNamedIn(expression.Source))
            {
                sb.Append(Capture.Redactor.RedactedText);
                continue;
            }
            try
            {
                sb.Append(ValueText.Format(result.Value, MaxValueLength, out var cut));
                if (cut) sb.Append("...");
            }
            catch (Exception e)
            {
                AppendFailure(sb, expression.Source, e.Message);
            }
        }
        return sb.ToString();
    }

    // `{order.Totl: unknown name 'Totl' (at position 7)}`: the part as written, so the reader sees which one failed.
    private static void AppendFailure(StringBuilder sb, string source, string reason) =>
        sb.Append('{').Append(ExpressionLimits.Abbreviate(source)).Append(": ").Append(reason).Append('}');
}
