using System.Globalization;
using Deep.Tracepoints.Expressions;

namespace Deep.Tracepoints;

/// <summary>Which frames of a snapshot get variables (the <c>frame_type</c> argument).</summary>
internal enum FrameType
{
    /// <summary><c>single_frame</c> (the default): the probed frame.</summary>
    SingleFrame,
    /// <summary><c>all_frame</c>: every frame (in .NET only the probed frame's locals are reachable).</summary>
    AllFrame,
    /// <summary><c>no_frame</c>: none.</summary>
    NoFrame,
}

/// <summary>What a <c>span</c> wraps.</summary>
internal enum SpanScope
{
    /// <summary><c>span=line</c>.</summary>
    Line,
    /// <summary><c>span=method</c>.</summary>
    Method,
}

/// <summary>The per-tracepoint capture limits (<c>MAX_*</c> arguments); null where the agent's default applies.</summary>
internal sealed record CaptureLimitOverrides(int? MaxVarDepth, int? MaxVariables, int? MaxCollectionSize, int? MaxStringLength, int? MaxTpProcessTimeMs)
{
    /// <summary>No overrides.</summary>
    public static readonly CaptureLimitOverrides None = new(null, null, null, null, null);
}

/// <summary>A metric label: an expression, or a static value (kept on the protocol type) when <see cref="Expression"/> is null.</summary>
internal sealed record LabelSpec(string Key, ExpressionTree? Expression);

/// <summary>A metric of a tracepoint: its name, value expression (null: the value 1) and labels.</summary>
internal sealed record MetricSpec(string Name, ExpressionTree? Expression, IReadOnlyList<LabelSpec> Labels);

/// <summary>
/// What a tracepoint means (spec §2), read once from its arguments, watches and metrics, by the agent (to build probes
/// and actions), the server (to refuse a tracepoint that can never work) and the CLI (to say so before sending). Every
/// problem is in <see cref="Errors"/>, named by field; the values are meaningful only when there is none. The rules
/// are written down in docs/tracepoint-arguments.md.
/// </summary>
internal sealed class TracepointSpec
{
    /// <summary>The <c>MAX_*</c> argument names, in <see cref="CaptureLimitOverrides"/> order.</summary>
    public static readonly IReadOnlyList<string> LimitArgs = ["MAX_VAR_DEPTH", "MAX_VARIABLES", "MAX_COLLECTION_SIZE", "MAX_STRING_LENGTH", "MAX_TP_PROCESS_TIME"];

    /// <summary>
    /// The most watch expressions one tracepoint may have. Both sides read it here: the server refuses more, and an agent
    /// given more (by a server that does not check) rejects the tracepoint without parsing them.
    /// </summary>
    public const int MaxWatches = 100;

    /// <summary>The <c>stage</c> values, in <see cref="TracepointStage"/> order.</summary>
    public static readonly IReadOnlyList<string> StageNames = ["line_start", "line_end", "line_capture", "method_start", "method_end", "method_capture"];

    private TracepointSpec() { }

    /// <summary>Every problem found, in field order; empty when the tracepoint can work.</summary>
    public IReadOnlyList<FieldError> Errors { get; private init; } = [];

    /// <summary>The source file (bare name, relative or absolute path).</summary>
    public string Path { get; private init; } = "";

    /// <summary>The line (ignored for a method tracepoint).</summary>
    public int Line { get; private init; }

    /// <summary><c>method_name</c>: makes a method location.</summary>
    public string? MethodName { get; private init; }

    /// <summary><c>class_name</c>: narrows <see cref="MethodName"/>.</summary>
    public string? ClassName { get; private init; }

    /// <summary>Where the actions run; default <c>line_start</c>, or <c>method_start</c> with a method name.</summary>
    public TracepointStage Stage { get; private init; }

    /// <summary>How many times each action may fire; -1 is unlimited; default 1.</summary>
    public int FireCount { get; private init; } = 1;

    /// <summary>Minimum milliseconds between two fires of an action; default 1000.</summary>
    public long FirePeriodMs { get; private init; } = 1000;

    /// <summary>Fire only from this epoch time (ms), inclusive.</summary>
    public long? WindowStartMs { get; private init; }

    /// <summary>Fire only until this epoch time (ms), inclusive.</summary>
    public long? WindowEndMs { get; private init; }

    /// <summary><c>snapshot=collect</c> (the default).</summary>
    public bool CollectSnapshot { get; private init; } = true;

    /// <summary>Which frames get variables.</summary>
    public FrameType FrameType { get; private init; }

    /// <summary><c>stack_type=stack</c> (the default): the whole stack; otherwise only the probed frame.</summary>
    public bool IncludeStack { get; private init; } = true;

    /// <summary>What a span wraps; null for no span.</summary>
    public SpanScope? Span { get; private init; }

    /// <summary>The span's name: <c>span_name</c>, or the method name, or <c>File.cs:line</c>.</summary>
    public string SpanName { get; private init; } = "";

    /// <summary>The per-tracepoint capture limits.</summary>
    public CaptureLimitOverrides Limits { get; private init; } = CaptureLimitOverrides.None;

    /// <summary>The condition; null for none.</summary>
    public ExpressionTree? Condition { get; private init; }

    /// <summary>The watch expressions, in order.</summary>
    public IReadOnlyList<ExpressionTree> Watches { get; private init; } = [];

    /// <summary>The <c>log_msg</c> template; null for none.</summary>
    public LogTemplateSyntax? LogMessage { get; private init; }

    /// <summary>The metrics, in order.</summary>
    public IReadOnlyList<MetricSpec> Metrics { get; private init; } = [];

    /// <summary>The tracepoint has a method location.</summary>
    public bool IsMethodLocation => MethodName is not null;

    /// <summary>A snapshot action: unless <c>snapshot=no_collect</c>.</summary>
    public bool HasSnapshotAction => CollectSnapshot;

    /// <summary>A log-only action: a <c>log_msg</c> with <c>snapshot=no_collect</c>.</summary>
    public bool HasLogAction => !CollectSnapshot && LogMessage is not null;

    /// <summary>A metric action: one or more metrics.</summary>
    public bool HasMetricAction => Metrics.Count > 0;

    /// <summary>A span action: <c>span</c> is set.</summary>
    public bool HasSpanAction => Span is not null;

    /// <summary>The tracepoint does something.</summary>
    public bool HasAction => HasSnapshotAction || HasLogAction || HasMetricAction || HasSpanAction;

    /// <summary>The <c>stage</c> value of <paramref name="stage"/>.</summary>
    public static string StageName(TracepointStage stage) => StageNames[(int)stage];

    /// <summary>Reads <paramref name="tracepoint"/>; never throws (problems are <see cref="Errors"/>).</summary>
    public static TracepointSpec Parse(TracepointInput tracepoint)
    {
        ArgumentNullException.ThrowIfNull(tracepoint);
        var errors = new List<FieldError>();
        var args = tracepoint.Args;
        // A value with spaces around it means the value; a blank one is absent.
        string? Arg(string name) => args.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        void Error(string field, string message) => errors.Add(new FieldError(field, message));

        var path = tracepoint.Path ?? "";
        if (string.IsNullOrWhiteSpace(path)) Error("path", "the tracepoint has no path: give the source file, e.g. \"OrderService.cs\"");
        var methodName = Arg("method_name");
        var className = Arg("class_name");
        if (methodName is null && tracepoint.LineNumber == 0)
            Error("line_number", "the tracepoint has no line_number: give a line (1 or more), or args.method_name for a method tracepoint");
        // The wire type is uint32; a .NET line number is an int. A larger one names no line: refused rather than wrapped.
        if (tracepoint.LineNumber > int.MaxValue)
            Error("line_number", $"line_number {tracepoint.LineNumber} is larger than any line a file can have ({int.MaxValue})");

        var stage = methodName is null ? TracepointStage.LineStart : TracepointStage.MethodStart;
        if (Arg("stage") is { } stageText)
        {
            var index = IndexOf(StageNames, stageText);
            if (index < 0) Error("args.stage", $"unknown stage '{stageText}' (expected {string.Join(", ", StageNames.Take(StageNames.Count - 1))} or {StageNames[^1]})");
            else stage = (TracepointStage)index;
            if (index >= (int)TracepointStage.MethodStart && methodName is null)
                Error("args.stage", $"stage '{stageText}' needs method_name");
        }

        // fire_count: a non-number falls back to the default (spec §2); a number must mean something.
        var fireCount = 1;
        if (Arg("fire_count") is { } fc && long.TryParse(fc, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var count))
        {
            if (count < -1) Error("args.fire_count", $"args.fire_count '{fc}' must be -1 (unlimited) or more");
            else if (count > int.MaxValue) Error("args.fire_count", $"args.fire_count '{fc}' is too large (at most {int.MaxValue}; -1 is unlimited)");
            else fireCount = (int)count;
        }
        long periodMs = 1000;
        if (Arg("fire_period") is { } fp && !(long.TryParse(fp, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out periodMs) && periodMs >= 0))
        {
            Error("args.fire_period", $"args.fire_period '{fp}' is not a non-negative number of milliseconds");
            periodMs = 1000;
        }
        var windowStart = Window("window_start");
        var windowEnd = Window("window_end");
        if (windowStart is { } ws && windowEnd is { } we && we < ws) Error("args.window_end", "args.window_end is before args.window_start");

        var collect = Choice("snapshot", ["collect", "no_collect"]) != 1;
        var frameType = (FrameType)Math.Max(0, Choice("frame_type", ["single_frame", "all_frame", "no_frame"]));
        var includeStack = Choice("stack_type", ["stack", "no_stack"]) != 1;
        var spanChoice = Choice("span", ["line", "method"]);
        SpanScope? span = spanChoice < 0 ? null : (SpanScope)spanChoice;

        var limits = new int?[LimitArgs.Count];
        for (var i = 0; i < LimitArgs.Count; i++)
        {
            if (Arg(LimitArgs[i]) is not { } text) continue;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0) limits[i] = value;
            else Error("args." + LimitArgs[i], $"args.{LimitArgs[i]} '{text}' is not a positive whole number");
        }

        ExpressionTree? condition = null;
        if (args.TryGetValue("condition", out var conditionText) && !string.IsNullOrWhiteSpace(conditionText))
        {
            condition = ParseExpression(conditionText, out var problem);
            if (problem is not null) Error("args.condition", $"condition '{Quote(conditionText)}' is malformed: {problem}");
        }
        var watches = new List<ExpressionTree>();
        if (tracepoint.Watches.Count > MaxWatches)
            Error("watches", $"the tracepoint has {tracepoint.Watches.Count} watches; at most {MaxWatches} are allowed");
        for (var i = 0; i < tracepoint.Watches.Count && tracepoint.Watches.Count <= MaxWatches; i++)
        {
            var watch = tracepoint.Watches[i] ?? "";
            if (ParseExpression(watch, out var problem) is { } tree) watches.Add(tree);
            else Error($"watches[{i}]", $"watch {i + 1} '{Quote(watch)}' is malformed: {problem}");
        }
        LogTemplateSyntax? logMessage = null;
        if (args.TryGetValue("log_msg", out var logText) && !string.IsNullOrEmpty(logText))
        {
            logMessage = LogTemplateSyntax.Parse(logText);
            foreach (var problem in logMessage.Problems) Error("args.log_msg", $"log_msg '{Quote(logText)}' is malformed: {problem}");
        }
        var metrics = new List<MetricSpec>();
        for (var i = 0; i < tracepoint.Metrics.Count; i++)
        {
            var metric = tracepoint.Metrics[i];
            var name = metric.Name ?? "";
            if (string.IsNullOrWhiteSpace(name)) Error($"metrics[{i}].name", $"metric {i + 1} has no name");
            ExpressionTree? value = null;
            if (!string.IsNullOrWhiteSpace(metric.Expression))
            {
                value = ParseExpression(metric.Expression, out var problem);
                if (problem is not null) Error($"metrics[{i}].expression", $"metric '{Quote(name)}' expression '{Quote(metric.Expression)}' is malformed: {problem}");
            }
            var labels = new List<LabelSpec>();
            for (var j = 0; j < metric.Labels.Count; j++)
            {
                var label = metric.Labels[j];
                ExpressionTree? labelTree = null;
                if (label.Expression is { } labelText)
                {
                    labelTree = ParseExpression(labelText, out var problem);
                    if (problem is not null)
                        Error($"metrics[{i}].label_expressions[{j}]", $"metric '{Quote(name)}' label '{Quote(label.Key)}' expression '{Quote(labelText)}' is malformed: {problem}");
                }
                labels.Add(new LabelSpec(label.Key, labelTree));
            }
            metrics.Add(new MetricSpec(name, value, labels));
        }

        if (!(collect || logMessage is not null || metrics.Count > 0 || span is not null))
            Error("tracepoint", "the tracepoint has no action (snapshot=no_collect without log_msg, metrics or span)");
        return new TracepointSpec
        {
            Errors = errors,
            Path = path,
            Line = tracepoint.LineNumber > int.MaxValue ? 0 : (int)tracepoint.LineNumber,
            MethodName = methodName,
            ClassName = className,
            Stage = stage,
            FireCount = fireCount,
            FirePeriodMs = periodMs,
            WindowStartMs = windowStart,
            WindowEndMs = windowEnd,
            CollectSnapshot = collect,
            FrameType = frameType,
            IncludeStack = includeStack,
            Span = span,
            SpanName = Arg("span_name") ?? methodName ?? $"{FileName(path)}:{tracepoint.LineNumber}",
            Limits = new CaptureLimitOverrides(limits[0], limits[1], limits[2], limits[3], limits[4]),
            Condition = condition,
            Watches = watches,
            LogMessage = logMessage,
            Metrics = metrics,
        };

        long? Window(string name)
        {
            if (Arg(name) is not { } text) return null;
            if (TryParseEpochMs(text, out var ms)) return ms;
            Error("args." + name, $"args.{name} '{text}' is not an epoch time (seconds or milliseconds)");
            return null;
        }

        // The index of the argument's value among allowed; -1 when absent (or wrong, which is an error).
        int Choice(string name, string[] allowed)
        {
            if (Arg(name) is not { } text) return -1;
            var index = Array.IndexOf(allowed, text);
            if (index < 0) Error("args." + name, $"args.{name} '{text}' must be {string.Join(", ", allowed[..^1])} or {allowed[^1]}");
            return index;
        }
    }

    /// <summary>Epoch seconds (DEEP's query language) or milliseconds (other tools): a value below 10^11 is seconds.</summary>
    public static bool TryParseEpochMs(string text, out long epochMs)
    {
        epochMs = 0;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0 || value > 1e17) return false;
        epochMs = value < 1e11 ? (long)(value * 1000) : (long)value;
        return true;
    }

    private static ExpressionTree? ParseExpression(string source, out string? problem)
    {
        problem = null;
        try
        {
            return Parser.Parse(source);
        }
        catch (ExpressionSyntaxException e)
        {
            problem = e.Describe();
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            problem = e.Message;
        }
        return null;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name) return i;
        }
        return -1;
    }

    private static string FileName(string path)
    {
        var cut = path.LastIndexOfAny(['/', '\\']);
        return cut < 0 ? path : path[(cut + 1)..];
    }

    /// <summary>Text as an error message shows it: a long one is cut, so the answer stays small.</summary>
    internal static string Quote(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
