using System.Diagnostics;
using Deep.Agent.Capture;
using Deep.Agent.Probes;
using Deep.Protocol;
using StackFrame = Deep.Protocol.StackFrame;

namespace Deep.Agent.ExceptionReplay;

/// <summary>What the detector saw when an exception escaped (taken on the application's thread).</summary>
internal sealed record Escape(Exception Exception, string Fingerprint, IReadOnlyList<AppFrame> Frames, long TimestampNanos,
    string ThreadName, int ThreadId, string? TraceId, string? SpanId);

/// <summary>Builds the one snapshot of an escaped exception: every frame of its stack, the app frames with their values.</summary>
internal static class ReplaySnapshot
{
    public const string Stage = "exception";

    public static Snapshot Build(AgentContext context, Escape escape, IReadOnlyList<FrameCapture> captures, long count)
    {
        var started = Stopwatch.GetTimestamp();
        var exception = escape.Exception;
        var options = context.FrameOptions(true);
        var frames = new List<StackFrame>();
        var trace = new StackTrace(exception, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            if (FrameCollector.Convert(frame, options) is { } converted) frames.Add(converted);
        }

        var collector = new VariableCollector(context.Limits, context.Redactor);
        var used = new bool[captures.Count];
        StackFrame? innermostApp = null;
        foreach (var frame in frames)
        {
            // The k-th frame of a method on the stack takes the k-th capture of that method (a recursion's frames).
            for (var i = 0; i < captures.Count; i++)
            {
                if (used[i]) continue;
                var (method, declaring, _) = FrameCollector.Describe(captures[i].Method);
                if (method != frame.MethodName || (declaring is null ? null : CSharpTypeNames.FullNameOf(declaring)) != frame.ClassName) continue;
                used[i] = true;
                frame.AppFrame = true;
                foreach (var value in captures[i].Values) frame.Variables.Add(Capture(collector, value.Name, value.Value, value.DeclaredType, value.OriginalName));
                innermostApp ??= frame;
                break;
            }
        }
        innermostApp ??= frames.FirstOrDefault(f => f.AppFrame == true) ?? frames.FirstOrDefault();

        var tracepoint = new TracePointConfig
        {
            ID = "exception-" + escape.Fingerprint,
            Path = innermostApp?.FileName ?? "",
            LineNumber = innermostApp?.LineNumber ?? 0,
        };
        tracepoint.Args["exception.replay"] = "true";
        var snapshot = new Snapshot
        {
            ID = Hit.NewSnapshotId(),
            Tracepoint = tracepoint,
            TsNanos = (ulong)escape.TimestampNanos,
        };
        snapshot.Frames.AddRange(frames);
        snapshot.Watches.Add(new WatchResult
        {
            Expression = "exception",
            Source = WatchSource.Capture,
            GoodResult = Capture(collector, "exception", exception, typeof(Exception), null),
        });
        foreach (var (key, value) in collector.VarLookup) snapshot.VarLookup[key] = value;

        var a = snapshot.Attributes;
        a.Add(new KeyValue("tracepoint", tracepoint.ID));
        a.Add(new KeyValue("path", tracepoint.Path));
        a.Add(new KeyValue("line", AnyValue.Of((long)tracepoint.LineNumber)));
        a.Add(new KeyValue("stage", Stage));
        a.Add(new KeyValue("exception.type", exception.GetType().FullName ?? exception.GetType().Name));
        a.Add(new KeyValue("exception.message", MessageOf(exception)));
        a.Add(new KeyValue("exception.fingerprint", escape.Fingerprint));
        a.Add(new KeyValue("exception.replay", AnyValue.Of(true)));
        a.Add(new KeyValue("exception.count", AnyValue.Of(count)));
        a.Add(new KeyValue("exception.where", innermostApp is null ? "" : $"{innermostApp.ClassName}.{innermostApp.MethodName}"));
        a.Add(new KeyValue("thread_name", escape.ThreadName));
        a.Add(new KeyValue("thread_id", AnyValue.Of((long)escape.ThreadId)));
        if (escape.TraceId is { } traceId) a.Add(new KeyValue("trace_id", traceId));
        if (escape.SpanId is { } spanId) a.Add(new KeyValue("span_id", spanId));
        snapshot.Resource.AddRange(context.ResourceKeyValues);
        snapshot.DurationNanos = (ulong)Stopwatch.GetElapsedTime(started).Ticks * 100;
        return snapshot;
    }

    // The message the exception was created with, read from its field as capture does (Message is virtual: app code).
    private static string MessageOf(Exception exception)
    {
        try
        {
            var field = typeof(Exception).GetField("_message", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);
            var text = field?.GetValue(exception) as string ?? "";
            return text.Length > 1024 ? text[..1024] : text;
        }
        catch
        {
            return "";
        }
    }

    private static VariableID Capture(VariableCollector collector, string name, object? value, Type declared, string? originalName)
    {
        try
        {
            return collector.Capture(name, value, declared, null, originalName);
        }
        catch (Exception e)
        {
            var id = $"error-{collector.VarLookup.Count}-{name}";
            collector.VarLookup[id] = new Variable { Type = declared.Name, Value = $"<capture failed: {e.Message}>", Hash = "0" };
            return new VariableID { ID = id, Name = name, OriginalName = originalName };
        }
    }
}
