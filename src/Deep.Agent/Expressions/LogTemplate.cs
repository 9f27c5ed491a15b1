using System.Text;
using Deep.Agent.Capture;
using Deep.Tracepoints.Expressions;

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
    public static LogTemplate<TContext> Compile(string template, IExpressionScope scope) =>
        Compile(LogTemplateSyntax.Parse(template), scope);

    /// <summary>Compiles the expressions of a template parsed earlier (a tracepoint's spec holds it); never throws.</summary>
    internal static LogTemplate<TContext> Compile(LogTemplateSyntax syntax, IExpressionScope scope)
    {
        var parts = new List<(string?, CompiledExpression<TContext>?)>();
        string? error = null;
        foreach (var item in syntax.Items)
        {
            switch (item.Kind)
            {
                case TemplateItemKind.Literal:
                    parts.Add((item.Text, null));
                    break;
                case TemplateItemKind.Error:
                    error ??= item.Text;
                    break;
                default:
                    var compiled = item.Tree is { } tree
                        ? ExpressionCompiler.Compile<TContext>(tree, scope, ExpressionCompiler.DefaultTimeBudget)
                        : new CompiledExpression<TContext>(item.Text.Trim(), item.SyntaxError!.Describe(), ExpressionErrorKind.Syntax);
                    // Malformed text rejects the template (the server refuses it too); a part that does not fit the probed
                    // line (an unknown name, a member not allowed) is that part's error on every line, and the line is written.
                    if (compiled.Error != null && compiled.ErrorKind == ExpressionErrorKind.Syntax)
                    {
                        error ??= item.DescribePart(compiled.Error);
                    }
                    parts.Add((null, compiled));
                    break;
            }
        }
        return new LogTemplate<TContext>(syntax.Template, error, parts);
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
