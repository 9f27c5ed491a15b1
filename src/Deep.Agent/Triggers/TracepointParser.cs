using System.Globalization;
using Deep.Agent.Actions;
using Deep.Agent.Capture;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;

namespace Deep.Agent.Triggers;

/// <summary>Where a probe goes; tracepoints with equal locations share one probe.</summary>
internal sealed record LocationKey(string Path, int Line, string? MethodName, string? ClassName, ProbeStage Stage)
{
    public override string ToString() => MethodName is null ? $"{Path}:{Line} ({Stage})" : $"{Path} {ClassName}.{MethodName} ({Stage})";
}

/// <summary>A tracepoint turned into a location and its actions, or the one reason it was rejected.</summary>
internal sealed record ParsedTracepoint(TracePointConfig Tracepoint, LocationKey? Location, IReadOnlyList<ProbeAction> Actions, string? Error);

/// <summary>The rules of spec §2: which actions a tracepoint creates, with what limits, at which location.</summary>
internal static class TracepointParser
{
    private static readonly string[] s_limitArgs = ["MAX_VAR_DEPTH", "MAX_VARIABLES", "MAX_COLLECTION_SIZE", "MAX_STRING_LENGTH", "MAX_TP_PROCESS_TIME"];

    public static ParsedTracepoint Parse(TracePointConfig tp, AgentContext context)
    {
        try
        {
            return ParseCore(tp, context);
        }
        catch (Exception e)
        {
            return new ParsedTracepoint(tp, null, [], $"could not be read: {e.Message}");
        }
    }

    private static ParsedTracepoint ParseCore(TracePointConfig tp, AgentContext context)
    {
        ParsedTracepoint Fail(string error) => new(tp, null, [], error);
        var args = tp.Args;
        string? Arg(string name) => args.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        if (string.IsNullOrWhiteSpace(tp.Path)) return Fail("path is empty");
        var methodName = Arg("method_name");
        var className = Arg("class_name");
        if (methodName is null && tp.LineNumber == 0) return Fail("line_number must be at least 1 for a line tracepoint");
        // The wire type is uint32; a .NET line number is an int. A larger one names no line: reject it rather than wrap.
        if (tp.LineNumber > int.MaxValue) return Fail($"line_number {tp.LineNumber} is larger than any line a file can have ({int.MaxValue})");

        var stageText = Arg("stage");
        ProbeStage stage;
        if (stageText is null) stage = methodName is null ? ProbeStage.LineStart : ProbeStage.MethodStart;
        else if (!TryParseStage(stageText, out stage))
            return Fail($"unknown stage '{stageText}' (expected line_start, line_end, line_capture, method_start, method_end or method_capture)");
        if (methodName is null && stage is ProbeStage.MethodStart or ProbeStage.MethodEnd or ProbeStage.MethodCapture)
            return Fail($"stage '{stageText}' needs method_name");

        // fire_count: a non-number falls back to the default (spec §2); everything else malformed rejects.
        var fireCount = 1;
        if (Arg("fire_count") is { } fc && !int.TryParse(fc, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out fireCount)) fireCount = 1;
        if (fireCount < -1) fireCount = -1;
        long periodMs = 1000;
        if (Arg("fire_period") is { } fp && !(long.TryParse(fp, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out periodMs) && periodMs >= 0))
            return Fail($"fire_period '{fp}' is not a non-negative number of milliseconds");
        if (!TryParseWindow(Arg("window_start"), out var windowStart)) return Fail($"window_start '{Arg("window_start")}' is not an epoch time");
        if (!TryParseWindow(Arg("window_end"), out var windowEnd)) return Fail($"window_end '{Arg("window_end")}' is not an epoch time");
        if (windowStart is { } ws && windowEnd is { } we && we < ws) return Fail("window_end is before window_start");

        var snapshotText = Arg("snapshot") ?? "collect";
        if (snapshotText is not ("collect" or "no_collect")) return Fail($"snapshot '{snapshotText}' must be collect or no_collect");
        var frameType = Arg("frame_type") ?? "single_frame";
        if (frameType is not ("single_frame" or "all_frame" or "no_frame")) return Fail($"frame_type '{frameType}' must be single_frame, all_frame or no_frame");
        var stackType = Arg("stack_type") ?? "stack";
        if (stackType is not ("stack" or "no_stack")) return Fail($"stack_type '{stackType}' must be stack or no_stack");
        var span = Arg("span");
        if (span is not (null or "line" or "method")) return Fail($"span '{span}' must be line or method");
        foreach (var name in s_limitArgs)
        {
            if (Arg(name) is { } v && !CaptureLimits.TryParse(v, out _))
                return Fail($"{name} '{v}' is not a positive whole number");
        }
        foreach (var metric in tp.Metrics)
        {
            if (string.IsNullOrWhiteSpace(metric.Name)) return Fail("a metric has no name");
        }

        RateLimiter Limiter() => new(fireCount, periodMs, windowStart, windowEnd);
        var location = new LocationKey(tp.Path, (int)tp.LineNumber, methodName, className, stage);
        var actions = new List<ProbeAction>();
        var logMsg = args.GetValueOrDefault("log_msg");
        if (snapshotText == "collect")
        {
            var limits = context.Limits.WithOverrides(args);
            actions.Add(new SnapshotAction(tp, Limiter(), context, limits, stackType == "stack", frameType != "no_frame", StageName(stage)));
        }
        else if (!string.IsNullOrEmpty(logMsg))
        {
            actions.Add(new LogAction(tp, Limiter(), context, logMsg));
        }
        if (tp.Metrics.Count > 0) actions.Add(new MetricAction(tp, Limiter(), context.Redactor));
        if (span is not null) actions.Add(new SpanAction(tp, Limiter(), Arg("span_name") ?? DefaultSpanName(tp, methodName)));
        if (actions.Count == 0) return Fail("has no action (snapshot=no_collect without log_msg, metrics or span)");
        return new ParsedTracepoint(tp, location, actions, null);
    }

    private static string DefaultSpanName(TracePointConfig tp, string? methodName) =>
        methodName ?? $"{Path.GetFileName(tp.Path.Replace('\\', '/'))}:{tp.LineNumber}";

    internal static bool TryParseStage(string text, out ProbeStage stage)
    {
        switch (text)
        {
            case "line_start": stage = ProbeStage.LineStart; return true;
            case "line_end": stage = ProbeStage.LineEnd; return true;
            case "line_capture": stage = ProbeStage.LineCapture; return true;
            case "method_start": stage = ProbeStage.MethodStart; return true;
            case "method_end": stage = ProbeStage.MethodEnd; return true;
            case "method_capture": stage = ProbeStage.MethodCapture; return true;
            default: stage = default; return false;
        }
    }

    internal static string StageName(ProbeStage stage) => stage switch
    {
        ProbeStage.LineStart => "line_start",
        ProbeStage.LineEnd => "line_end",
        ProbeStage.LineCapture => "line_capture",
        ProbeStage.MethodStart => "method_start",
        ProbeStage.MethodEnd => "method_end",
        _ => "method_capture",
    };

    /// <summary>Epoch seconds (DEEP's query language) or milliseconds (other tools): below 10^11 means seconds.</summary>
    internal static bool TryParseWindow(string? text, out long? epochMs)
    {
        epochMs = null;
        if (text is null) return true;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0) return false;
        epochMs = value < 1e11 ? (long)(value * 1000) : (long)value;
        return true;
    }
}
