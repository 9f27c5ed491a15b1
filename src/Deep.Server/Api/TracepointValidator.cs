using System.Globalization;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Api;

/// <summary>
/// Checks a tracepoint before it is stored, so a person learns at once that it can never work (rather than an agent
/// rejecting it later): the location, the arguments with known values, and the syntax of its expressions as far as
/// the server can check them without knowing the program.
/// </summary>
internal static class TracepointValidator
{
    public static readonly IReadOnlySet<string> Stages = new HashSet<string>(StringComparer.Ordinal)
    {
        "line_start", "line_end", "line_capture", "method_start", "method_end", "method_capture",
    };

    private static readonly Dictionary<string, string[]> Choices = new(StringComparer.Ordinal)
    {
        ["snapshot"] = ["collect", "no_collect"],
        ["frame_type"] = ["single_frame", "all_frame", "no_frame"],
        ["stack_type"] = ["stack", "no_stack"],
        ["span"] = ["line", "method"],
    };

    private static readonly string[] IntegerArgs =
        ["fire_count", "fire_period", "window_start", "window_end", "MAX_VAR_DEPTH", "MAX_VARIABLES", "MAX_COLLECTION_SIZE", "MAX_STRING_LENGTH", "MAX_TP_PROCESS_TIME"];

    /// <summary>Null when the tracepoint is acceptable, else what is wrong.</summary>
    public static string? Validate(TracePointConfig tp)
    {
        if (string.IsNullOrWhiteSpace(tp.Path)) return "the tracepoint has no path: give the source file, e.g. \"OrderService.cs\"";
        var hasMethod = tp.Args.TryGetValue("method_name", out var method) && !string.IsNullOrWhiteSpace(method);
        if (tp.LineNumber == 0 && !hasMethod) return "the tracepoint has no line_number: give a line (1 or more), or args.method_name for a method tracepoint";
        if (tp.Args.TryGetValue("stage", out var stage) && !Stages.Contains(stage))
            return $"unknown stage '{stage}': use one of {string.Join(", ", Stages)}";
        foreach (var (arg, allowed) in Choices)
        {
            if (tp.Args.TryGetValue(arg, out var value) && Array.IndexOf(allowed, value) < 0)
                return $"args.{arg} '{value}' is not one of {string.Join(", ", allowed)}";
        }
        foreach (var arg in IntegerArgs)
        {
            if (!tp.Args.TryGetValue(arg, out var value)) continue;
            if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                return $"args.{arg} '{value}' is not a whole number";
            // The agent ignores nothing silently: a capture limit of 0 or less would capture nothing, so it is refused here too.
            if (arg.StartsWith("MAX_", StringComparison.Ordinal) && number < 1)
                return $"args.{arg} {value.Trim()} must be 1 or more";
        }
        if (tp.Args.TryGetValue("fire_count", out var fc) && long.Parse(fc.Trim(), CultureInfo.InvariantCulture) < -1)
            return $"args.fire_count {fc} must be -1 (unlimited) or more";
        if (tp.Args.TryGetValue("fire_period", out var fp) && long.Parse(fp.Trim(), CultureInfo.InvariantCulture) < 0)
            return $"args.fire_period {fp} must not be negative";
        if (tp.Args.TryGetValue("condition", out var condition) && ExpressionSyntax.Check(condition) is { } conditionError)
            return $"args.condition '{condition}' is malformed: {conditionError}";
        if (tp.Args.TryGetValue("log_msg", out var log) && ExpressionSyntax.CheckTemplate(log) is { } logError)
            return $"args.log_msg '{log}' is malformed: {logError}";
        for (var i = 0; i < tp.Watches.Count; i++)
        {
            if (ExpressionSyntax.Check(tp.Watches[i]) is { } watchError) return $"watch {i + 1} '{tp.Watches[i]}' is malformed: {watchError}";
        }
        foreach (var metric in tp.Metrics)
        {
            if (string.IsNullOrWhiteSpace(metric.Name)) return "a metric has no name";
            if (metric.HasExpression && ExpressionSyntax.Check(metric.Expression) is { } metricError)
                return $"metric '{metric.Name}' expression '{metric.Expression}' is malformed: {metricError}";
        }
        return null;
    }
}

/// <summary>
/// The syntax checks the server can make on an expression without the program: not empty, string and character
/// literals closed, brackets balanced and matching. The agent's parser has the last word.
/// </summary>
internal static class ExpressionSyntax
{
    public static string? Check(string expression)
    {
        if (string.IsNullOrWhiteSpace(expression)) return "the expression is empty";
        var open = new Stack<(char Bracket, int At)>();
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            switch (c)
            {
                case '"' or '\'':
                    var end = i + 1;
                    while (end < expression.Length && expression[end] != c)
                    {
                        if (expression[end] == '\\') end++;
                        end++;
                    }
                    if (end >= expression.Length) return $"the {(c == '"' ? "string" : "character")} literal at position {i + 1} is not closed";
                    i = end;
                    break;
                case '(' or '[' or '{':
                    open.Push((c, i));
                    break;
                case ')' or ']' or '}':
                    var expected = c switch { ')' => '(', ']' => '[', _ => '{' };
                    if (open.Count == 0) return $"'{c}' at position {i + 1} closes nothing";
                    var (bracket, at) = open.Pop();
                    if (bracket != expected) return $"'{c}' at position {i + 1} does not match '{bracket}' at position {at + 1}";
                    break;
            }
        }
        if (open.Count > 0) return $"'{open.Peek().Bracket}' at position {open.Peek().At + 1} is not closed";
        var trimmed = expression.TrimEnd();
        if (trimmed.Length > 0 && "+-*/%&|<>=!^.,".Contains(trimmed[^1], StringComparison.Ordinal) && !trimmed.EndsWith("++", StringComparison.Ordinal) && !trimmed.EndsWith("--", StringComparison.Ordinal))
            return $"it ends with the operator '{trimmed[^1]}'";
        return null;
    }

    /// <summary>A log template: text with <c>{expression}</c> parts; <c>{{</c> and <c>}}</c> are literal braces.</summary>
    public static string? CheckTemplate(string template)
    {
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{')
            {
                if (i + 1 < template.Length && template[i + 1] == '{')
                {
                    i++;
                    continue;
                }
                var depth = 1;
                var j = i + 1;
                for (; j < template.Length && depth > 0; j++)
                {
                    if (template[j] == '{') depth++;
                    else if (template[j] == '}') depth--;
                }
                if (depth > 0) return $"the '{{' at position {i + 1} is not closed";
                var inner = template[(i + 1)..(j - 1)];
                if (Check(inner) is { } error) return $"the expression '{{{inner}}}' at position {i + 1}: {error}";
                i = j - 1;
            }
            else if (c == '}')
            {
                if (i + 1 < template.Length && template[i + 1] == '}')
                {
                    i++;
                    continue;
                }
                return $"the '}}' at position {i + 1} closes nothing (write '}}}}' for a literal brace)";
            }
        }
        return null;
    }
}
