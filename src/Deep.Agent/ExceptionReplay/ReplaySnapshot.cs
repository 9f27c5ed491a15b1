using System.Diagnostics;
using Deep.Agent.Diagnostics;
using Deep.Agent.Instrumentation;
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
        var offsets = new List<int>();
        var trace = new StackTrace(exception, fNeedFileInfo: true);
        foreach (var frame in trace.GetFrames())
        {
            if (FrameCollector.Convert(frame, options) is not { } converted) continue;
            frames.Add(converted);
            offsets.Add(frame.GetILOffset());
        }

        var collector = new VariableCollector(context.Limits, context.Redactor);
        var used = new bool[captures.Count];
        StackFrame? innermostApp = null;
        for (var f = 0; f < frames.Count; f++)
        {
            var frame = frames[f];
            // The k-th frame of a method on the stack takes the k-th capture of that method (a recursion's frames).
            for (var i = 0; i < captures.Count; i++)
            {
                if (used[i]) continue;
                var (method, declaring, _) = FrameCollector.Describe(captures[i].Method);
                if (method != frame.MethodName || (declaring is null ? null : CSharpTypeNames.FullNameOf(declaring)) != frame.ClassName) continue;
                used[i] = true;
                frame.AppFrame = true;
                FrameVariables.Collect(collector, Shown(captures[i], offsets[f]), frame.Variables);
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
            GoodResult = FrameVariables.CaptureSafely(collector, "exception", exception, typeof(Exception), null),
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

    /// <summary>
    /// The values a frame shows: those in scope where the exception passed (the throw, or the call it came out of),
    /// under the names they have there (a local slot two scopes share is named by the one holding the offset). When the
    /// scopes are unknown, <c>this</c> and the arguments only.
    /// </summary>
    internal static List<(ProbeSlot, object?)> Shown(FrameCapture capture, int ilOffset)
    {
        var result = new List<(ProbeSlot, object?)>(capture.Values.Count);
        IReadOnlyList<(int Position, ProbeSlot Shown)>? inScope = null;
        try
        {
            if (ilOffset >= 0) inScope = capture.Scopes?.Invoke(capture.Method, ilOffset);
        }
        catch (Exception e)
        {
            SelfLog.Warning($"exception replay: the scopes of {capture.Method.Name} could not be read: {e.Message}");
        }
        if (inScope is null)
        {
            foreach (var value in capture.Values)
            {
                if (value.Slot.Kind is SlotKind.This or SlotKind.Argument) result.Add((value.Slot, value.Value));
            }
            return result;
        }
        foreach (var (position, shown) in inScope)
        {
            foreach (var value in capture.Values)
            {
                if (value.Position != position) continue;
                result.Add((shown, value.Value));
                break;
            }
        }
        return result;
    }
}
