using System.Globalization;
using Deep.Tracepoints;
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

    /// <summary>The most watch expressions one tracepoint may have.</summary>
    public const int MaxWatches = 100;

    /// <summary>Every problem with the tracepoint, each named by its field; empty when it is acceptable.</summary>
    public static IReadOnlyList<FieldError> Validate(TracePointConfig tp)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(tp.Path)) errors.Add(new("path", "missing: give the source file, e.g. \"OrderService.cs\""));
        var hasMethod = tp.Args.TryGetValue("method_name", out var method) && !string.IsNullOrWhiteSpace(method);
        if (tp.LineNumber == 0 && !hasMethod) errors.Add(new("line_number", "missing: give a line (1 or more), or args.method_name for a method tracepoint"));
        if (tp.LineNumber > int.MaxValue) errors.Add(new("line_number", $"{tp.LineNumber} is past the last line a source file can have ({int.MaxValue})"));
        if (tp.Watches.Count > MaxWatches) errors.Add(new($"watches[{MaxWatches}]", $"the tracepoint has {tp.Watches.Count} watches; at most {MaxWatches} are allowed"));
        if (tp.Args.TryGetValue("stage", out var stage) && !Stages.Contains(stage))
            errors.Add(new("args.stage", $"unknown stage '{stage}': use one of {string.Join(", ", Stages)}"));
        foreach (var (arg, allowed) in Choices)
        {
            if (tp.Args.TryGetValue(arg, out var value) && Array.IndexOf(allowed, value) < 0)
                errors.Add(new("args." + arg, $"'{value}' is not one of {string.Join(", ", allowed)}"));
        }
        foreach (var arg in IntegerArgs)
        {
            if (!tp.Args.TryGetValue(arg, out var value)) continue;
            if (!long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                errors.Add(new("args." + arg, $"'{value}' is not a whole number"));
            // The agent ignores nothing silently: a capture limit of 0 or less would capture nothing, so it is refused here too.
            else if (arg.StartsWith("MAX_", StringComparison.Ordinal) && number < 1)
                errors.Add(new("args." + arg, $"{value.Trim()} must be 1 or more"));
            else if (arg == "fire_count" && number < -1)
                errors.Add(new("args.fire_count", $"{value.Trim()} must be -1 (unlimited) or more"));
            else if (arg == "fire_period" && number < 0)
                errors.Add(new("args.fire_period", $"{value.Trim()} must not be negative"));
        }
        if (tp.Args.TryGetValue("condition", out var condition) && ExpressionSyntax.Check(condition) is { } conditionError)
            errors.Add(new("args.condition", $"'{Quote(condition)}' is malformed: {conditionError}"));
        if (tp.Args.TryGetValue("log_msg", out var log) && ExpressionSyntax.CheckTemplate(log) is { } logError)
            errors.Add(new("args.log_msg", $"'{Quote(log)}' is malformed: {logError}"));
        for (var i = 0; i < tp.Watches.Count; i++)
        {
            if (ExpressionSyntax.Check(tp.Watches[i]) is { } watchError) errors.Add(new($"watches[{i}]", $"'{Quote(tp.Watches[i])}' is malformed: {watchError}"));
        }
        for (var i = 0; i < tp.Metrics.Count; i++)
        {
            var metric = tp.Metrics[i];
            if (string.IsNullOrWhiteSpace(metric.Name)) errors.Add(new($"metrics[{i}].name", "missing: a metric needs a name"));
            if (metric.HasExpression && ExpressionSyntax.Check(metric.Expression) is { } metricError)
                errors.Add(new($"metrics[{i}].expression", $"'{Quote(metric.Expression)}' is malformed: {metricError}"));
        }
        return errors;
    }

    /// <summary>An expression as an error message shows it: a long one is cut, so the answer stays small.</summary>
    internal static string Quote(string text) => text.Length <= 200 ? text : text[..200] + "…";
}

/// <summary>
/// The syntax checks the server can make on an expression without the program: not empty, not too long or too deeply
/// nested, string and character literals closed, brackets balanced and matching. The agent's parser has the last
/// word (and its own nesting limit); this one refuses early what it would refuse. One pass, no recursion.
/// </summary>
internal static class ExpressionSyntax
{
    /// <summary>The longest expression (or log template) accepted, in characters.</summary>
    public const int MaxLength = 4096;

    /// <summary>The deepest nesting accepted: brackets, prefix operators and casts, and chained <c>?:</c>/<c>??</c>.</summary>
    public const int MaxNesting = 100;

    public static string? Check(string expression)
    {
        if (string.IsNullOrWhiteSpace(expression)) return "the expression is empty";
        if (expression.Length > MaxLength) return $"it is {expression.Length} characters long; at most {MaxLength} are allowed";
        // The parser descends once per bracket, per prefix operator or cast before an operand, and per ?: or ??.
        // level: the depth of the current bracket's contents plus the ?: and ?? seen in it; run: the prefix operators
        // and casts applying to the operand at hand (a binary operator ends the run). Each open bracket remembers both.
        var open = new Stack<(char Bracket, int At, int Level, int Run, int Inner)>();
        int level = 0, run = 0;
        var afterOperand = false;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (char.IsWhiteSpace(c)) continue;
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
                    afterOperand = true;
                    continue;
                case '(' or '[' or '{':
                    var inner = level + run + 1;
                    open.Push((c, i, level, run, inner));
                    level = inner;
                    run = 0;
                    afterOperand = false;
                    break;
                case ')' or ']' or '}':
                    var expected = c switch { ')' => '(', ']' => '[', _ => '{' };
                    if (open.Count == 0) return $"'{c}' at position {i + 1} closes nothing";
                    var frame = open.Pop();
                    if (frame.Bracket != expected) return $"'{c}' at position {i + 1} does not match '{frame.Bracket}' at position {frame.At + 1}";
                    (level, run) = (frame.Level, frame.Run);
                    // "(T)x": a parenthesis followed by an operand is a cast, one more step before that operand.
                    if (c == ')' && NextStartsOperand(expression, i + 1)) run++;
                    afterOperand = true;
                    break;
                case '?' when i + 1 < expression.Length && expression[i + 1] is '.' or '[':
                    break; // ?. and ?[ are member access
                case '?':
                    if (i + 1 < expression.Length && expression[i + 1] == '?') i++;
                    level += run + 1;
                    run = 0;
                    afterOperand = false;
                    break;
                case '!' or '-' or '+' or '~' when !afterOperand:
                    run++;
                    break;
                case ',':
                    // Arguments are siblings: each starts at its bracket's own depth.
                    (level, run) = (open.Count > 0 ? open.Peek().Inner : 0, 0);
                    afterOperand = false;
                    break;
                default:
                    if (char.IsLetterOrDigit(c) || c is '_' or '@' || (c == '.' && afterOperand))
                    {
                        afterOperand = true;
                    }
                    else if (c is '+' or '-' && i + 1 < expression.Length && expression[i + 1] == c && afterOperand)
                    {
                        i++; // x++ / x--: still after the operand
                    }
                    else
                    {
                        // A binary operator: the prefix operators before it applied to the operand before it.
                        run = 0;
                        afterOperand = false;
                    }
                    break;
            }
            if (level + run > MaxNesting) return $"it is nested more than {MaxNesting} levels deep (brackets, prefix operators, casts, ?: and ??) at position {i + 1}";
        }
        if (open.Count > 0) return $"'{open.Peek().Bracket}' at position {open.Peek().At + 1} is not closed";
        var trimmed = expression.TrimEnd();
        if (trimmed.Length > 0 && "+-*/%&|<>=!^.,".Contains(trimmed[^1], StringComparison.Ordinal) && !trimmed.EndsWith("++", StringComparison.Ordinal) && !trimmed.EndsWith("--", StringComparison.Ordinal))
            return $"it ends with the operator '{trimmed[^1]}'";
        return null;
    }

    private static bool NextStartsOperand(string expression, int from)
    {
        var i = from;
        while (i < expression.Length && char.IsWhiteSpace(expression[i])) i++;
        return i < expression.Length && (char.IsLetterOrDigit(expression[i]) || expression[i] is '_' or '@' or '(' or '"' or '\'' or '!' or '~');
    }

    /// <summary>A log template: text with <c>{expression}</c> parts; <c>{{</c> and <c>}}</c> are literal braces.</summary>
    public static string? CheckTemplate(string template)
    {
        if (template.Length > MaxLength) return $"it is {template.Length} characters long; at most {MaxLength} are allowed";
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
                if (Check(inner) is { } error) return $"the expression '{{{TracepointValidator.Quote(inner)}}}' at position {i + 1}: {error}";
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
