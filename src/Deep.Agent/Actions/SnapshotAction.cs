using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Deep.Agent.Capture;
using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;
using Deep.Tracepoints;
using StackFrame = Deep.Protocol.StackFrame;

namespace Deep.Agent.Actions;

/// <summary>Takes a snapshot: frames, the probed frame's variables, watches, the log message, attributes.</summary>
internal sealed class SnapshotAction : ProbeAction
{
    private readonly AgentContext _context;
    private readonly CaptureLimits _limits;
    private readonly bool _includeStack;
    private readonly bool _frameVariables;
    private readonly string _stage;
    private readonly TracepointSpec _spec;
    private CompiledExpression<HitState>[] _watches = [];
    private LogTemplate<HitState>? _logTemplate;

    public SnapshotAction(TracePointConfig tracepoint, TracepointSpec spec, RateLimiter limiter, AgentContext context, CaptureLimits limits)
        : base(tracepoint, limiter)
    {
        _spec = spec;
        _context = context;
        _limits = limits;
        _includeStack = spec.IncludeStack;
        _frameVariables = spec.FrameType != FrameType.NoFrame;
        _stage = TracepointSpec.StageName(spec.Stage);
    }

    public override ActionKind Kind => ActionKind.Snapshot;

    public CaptureLimits Limits => _limits;

    public bool IncludeStack => _includeStack;

    protected override string? PrepareCore(ProbeFrameLayout layout)
    {
        var scope = new ProbeScope(layout);
        Condition = Conditions.Compile(_spec.Condition, scope, this, out var error);
        if (error is not null) return error;
        var watches = new List<CompiledExpression<HitState>>();
        foreach (var watch in _spec.Watches)
        {
            var compiled = ExpressionCompiler.Compile<HitState>(watch, scope);
            if (compiled.Error is { } e) return $"watch '{ExpressionLimits.Abbreviate(watch.Source)}': {e}";
            watches.Add(compiled);
        }
        _watches = watches.ToArray();
        if (_spec.LogMessage is { } template)
        {
            var compiled = LogTemplate<HitState>.Compile(template, scope);
            if (compiled.Error is { } e) return $"log_msg '{ExpressionLimits.Abbreviate(template.Template)}': {e}";
            _logTemplate = compiled;
        }
        else
        {
            _logTemplate = null;
        }
        return null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public override void Process(Hit hit)
    {
        var started = Stopwatch.GetTimestamp();
        var snapshot = new Snapshot
        {
            ID = Hit.NewSnapshotId(),
            Tracepoint = Tracepoint,
            TsNanos = (ulong)hit.TimestampNanos,
        };
        // An awaited outcome runs on the thread that completed the task: its stack is not the caller's.
        snapshot.Frames.AddRange(hit.Awaited ? [ProbedFrame(hit.Layout, _context.FrameOptions(false))] : CollectFrames(hit.Layout, InFilter(hit)));

        // One collector per snapshot: a second snapshot on the same hit gets its own, complete variables. Created after
        // the stack walk, so the capture time budget is spent on variables, not on reading PDBs for the frames.
        var collector = new VariableCollector(_limits, _context.Redactor);
        var probed = snapshot.Frames[0];
        if (_frameVariables)
        {
            var slots = hit.Layout.Slots;
            var shown = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < slots.Count; i++)
            {
                var slot = slots[i];
                if (!hit.Values.Has(i) || slot.Fields is not null || IsOutcome(slot.Kind) || !shown.Add(slot.Name)) continue;
                probed.Variables.Add(CaptureSafely(collector, slot.Name, hit.Values.GetBoxed(i), slot.DeclaredType, slot.OriginalName));
            }
            // Then the variables the compiler moved into a state machine or closure: a lambda's own parameter or
            // local of the same name shadows a captured one, as in the C# (and as ProbeScope resolves names).
            for (var i = 0; i < slots.Count; i++)
            {
                if (hit.Values.Has(i) && slots[i].Fields is { } fields)
                    AddFields(collector, probed.Variables, shown, hit.Values.GetBoxed(i), fields, 0);
            }
        }

        AddOutcome(collector, snapshot.Watches, hit);

        foreach (var watch in _watches)
        {
            var result = watch.Evaluate(hit.Values);
            snapshot.Watches.Add(ToWatchResult(collector, watch.Source, result, WatchSource.Watch));
        }

        if (_logTemplate is not null)
        {
            var results = new List<(string Expression, ExpressionResult Result)>();
            var message = _logTemplate.Render(hit.Values, results, _context.Redactor);
            snapshot.LogMsg = message;
            foreach (var (expression, result) in results) snapshot.Watches.Add(ToWatchResult(collector, expression, result, WatchSource.Log));
            LogEmitter.Emit(_context, this, new DeepLogEntry(message, TracepointId, hit.ContextId, Tracepoint.Path, (int)Tracepoint.LineNumber));
        }

        foreach (var (key, value) in collector.VarLookup) snapshot.VarLookup[key] = value;
        AddAttributes(snapshot.Attributes, hit, TracepointId, _stage);
        snapshot.Resource.AddRange(_context.ResourceKeyValues);
        snapshot.DurationNanos = (ulong)Stopwatch.GetElapsedTime(started).Ticks * 100;

        if (!_context.Snapshots.TryEnqueue(snapshot))
        {
            // The queue counted and reported the drop.
        }
    }

    // Frames above the probed method on this path: CollectFrames, Process, ProbeRuntime.RunActions, ProbeRuntime.Fire.
    private const int AgentFrames = 4;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private List<StackFrame> CollectFrames(ProbeFrameLayout layout, bool inFilter)
    {
        var options = _context.FrameOptions(_includeStack);
        // The probed frame is described by the layout the engine resolved (the file and the line actually probed,
        // the source method behind a state machine), so stack_type=no_stack needs no stack walk at all: a walk
        // with file information reads PDBs and is the most expensive part of a small snapshot.
        var probed = ProbedFrame(layout, options);
        if (!_includeStack) return [probed];
        List<StackFrame> frames;
        try
        {
            frames = FrameCollector.Collect(AgentFrames, options);
            // Should inlining have changed the frame count, cut whatever agent frames are left above the probe.
            var skip = 0;
            while (skip < frames.Count && IsAgentFrame(frames[skip])) skip++;
            frames.RemoveRange(0, skip);
            if (inFilter) SkipExceptionDispatch(frames);
        }
        catch (Exception e)
        {
            ReportRuntimeError($"stack could not be collected: {e.Message}");
            frames = [];
        }
        if (frames.Count == 0) frames.Add(probed);
        else frames[0] = probed;
        return frames;
    }

    private static bool IsOutcome(SlotKind kind) => kind is SlotKind.Return or SlotKind.Exception or SlotKind.Duration;

    // An exit probe's outcome, as CAPTURE watches: `exception` (null on a normal return), `return` (only on a normal
    // return of a method that returns a capturable value) and `duration` (nanoseconds).
    private void AddOutcome(VariableCollector collector, List<WatchResult> watches, Hit hit)
    {
        var slots = hit.Layout.Slots;
        int returnSlot = -1, exceptionSlot = -1, durationSlot = -1;
        for (var i = 0; i < slots.Count; i++)
        {
            switch (slots[i].Kind)
            {
                case SlotKind.Return: returnSlot = i; break;
                case SlotKind.Exception: exceptionSlot = i; break;
                case SlotKind.Duration: durationSlot = i; break;
            }
        }
        if (exceptionSlot < 0)
        {
            // A line_capture whose line could not be wrapped: say why its outcome is missing, where it would be.
            if (hit.Layout.OutcomeNotCaptured is { } why)
            {
                watches.Add(new WatchResult { Expression = "exception", Source = WatchSource.Capture, ErrorResult = "not captured: " + why });
                watches.Add(new WatchResult { Expression = "duration", Source = WatchSource.Capture, ErrorResult = "not captured: " + why });
            }
            return;
        }
        var exception = hit.Values.GetBoxed(exceptionSlot);
        if (returnSlot >= 0 && exception is null && hit.Values.Has(returnSlot))
        {
            var value = hit.Values.GetBoxed(returnSlot);
            // A method returning a task reports the awaited value (the slot holds the result, or none for a Task),
            // except for a ValueTask backed by an IValueTaskSource, which is shown as returned (never awaited).
            var declared = slots[returnSlot].DeclaredType;
            if (AwaitShape.Of(hit.Layout) is { ResultType: { } result } && !(value is not null && AwaitShape.IsValueTaskType(value.GetType())))
                declared = result.ContainsGenericParameters ? value?.GetType() ?? typeof(object) : result;
            watches.Add(Outcome(collector, "return", value, declared));
        }
        if (exception is NotReadableException unreadable)
            watches.Add(Outcome(collector, "exception", unreadable.Text, typeof(string)));
        else
            watches.Add(Outcome(collector, "exception", exception, typeof(Exception)));
        if (durationSlot >= 0 && hit.Values.Has(durationSlot))
            watches.Add(Outcome(collector, "duration", hit.Values.GetBoxed(durationSlot), typeof(long)));
    }

    private WatchResult Outcome(VariableCollector collector, string name, object? value, Type declared) =>
        new() { Expression = name, Source = WatchSource.Capture, GoodResult = CaptureSafely(collector, name, value, declared, null) };

    private static StackFrame ProbedFrame(ProbeFrameLayout layout, FrameOptions options)
    {
        var (method, declaring, isAsync) = FrameCollector.Describe(layout.Method);
        var file = layout.FilePath ?? "";
        return new StackFrame
        {
            FileName = file,
            LineNumber = (uint)Math.Max(layout.LineUsed, 0),
            MethodName = method,
            ClassName = declaring is null ? null : CSharpTypeNames.FullNameOf(declaring),
            IsAsync = isAsync,
            AppFrame = FrameCollector.IsAppFrame(declaring, file, options),
            ShortPath = ShortPath(file, options.AppRoot),
        };
    }

    private static string? ShortPath(string file, string? appRoot)
    {
        if (file.Length == 0) return null;
        var f = file.Replace('\\', '/');
        var root = appRoot?.Replace('\\', '/').TrimEnd('/');
        return !string.IsNullOrEmpty(root) && f.StartsWith(root + "/", StringComparison.Ordinal) ? f[(root.Length + 1)..] : file;
    }

    /// <summary>
    /// A line_capture hit with an exception ran in the line's exception filter (a method's exit probes run in a
    /// finally, after unwinding, and line probes in the code itself).
    /// </summary>
    private static bool InFilter(Hit hit)
    {
        var layout = hit.Layout;
        if (layout.MethodSignature is not null) return false;
        for (var i = 0; i < layout.Slots.Count; i++)
        {
            if (layout.Slots[i].Kind == SlotKind.Exception) return hit.Values.Has(i) && hit.Values.GetBoxed(i) is not null;
        }
        return false;
    }

    /// <summary>
    /// A probe that runs in an exception filter is called by the runtime's exception dispatch, from the filter's own
    /// frame, before anything unwinds: the walk reads the probed method (the filter), the dispatch (System.Runtime.EH,
    /// its interop stubs), the methods the exception came up through, the probed method again (the frame the
    /// exception is leaving), its callers. The snapshot shows the frame once, then its callers, as for any other hit.
    /// (Should the line have called the probed method recursively, its deeper activation is taken for the frame.)
    /// </summary>
    internal static void SkipExceptionDispatch(List<StackFrame> frames)
    {
        if (frames.Count < 2) return;
        int next = 1;
        while (next < frames.Count && !(frames[next].ClassName == frames[0].ClassName && frames[next].MethodName == frames[0].MethodName)) next++;
        if (next == frames.Count)
        {
            // The frame itself was not found: leave out the dispatch only.
            frames.RemoveAll(IsExceptionDispatch);
            return;
        }
        frames.RemoveRange(1, next);
    }

    private static bool IsExceptionDispatch(StackFrame frame) =>
        frame.ClassName is { } c && (c == "System.Runtime.EH" || c.StartsWith("System.Runtime.EH.", StringComparison.Ordinal))
        || frame.MethodName?.StartsWith("Rhp", StringComparison.Ordinal) == true;

    private static bool IsAgentFrame(StackFrame frame) =>
        frame.ClassName is { } c && (c.StartsWith("Deep.Agent.Probes.", StringComparison.Ordinal)
            || c.StartsWith("Deep.Agent.Actions.", StringComparison.Ordinal)
            || c.StartsWith("Deep.Agent.Capture.", StringComparison.Ordinal));

    // A state machine's or closure's fields, shown as the frame's variables under their source names. Field reads
    // run no user code; a chain of closures is bounded by the engine (SlotField nesting) and by this depth.
    private void AddFields(VariableCollector collector, List<VariableID> variables, HashSet<string> shown, object? owner,
        IReadOnlyList<SlotField> fields, int depth)
    {
        if (owner is null || depth > 8) return;
        foreach (var field in fields)
        {
            if (field.Fields is null && shown.Contains(field.Name)) continue;
            object? value;
            var info = field.Field;
            try
            {
                // A generic state machine's layout names the open type's field: read the instantiation's.
                if (info.DeclaringType != owner.GetType())
                    info = owner.GetType().GetField(info.Name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic) ?? info;
                value = info.GetValue(owner);
            }
            catch (Exception e)
            {
                if (field.Fields is not null) continue;
                shown.Add(field.Name);
                var id = $"error-{collector.VarLookup.Count}-{field.Name}";
                collector.VarLookup[id] = new Variable { Type = SafeTypeName(info.FieldType), Value = $"<capture failed: {e.Message}>", Hash = "0" };
                variables.Add(new VariableID { ID = id, Name = field.Name, OriginalName = field.OriginalName });
                continue;
            }
            if (field.Fields is { } inner)
            {
                AddFields(collector, variables, shown, value, inner, depth + 1);
                continue;
            }
            shown.Add(field.Name);
            var declared = info.FieldType.ContainsGenericParameters ? value?.GetType() ?? typeof(object) : info.FieldType;
            variables.Add(CaptureSafely(collector, field.Name, value, declared, field.OriginalName));
        }
    }

    private VariableID CaptureSafely(VariableCollector collector, string name, object? value, Type declared, string? originalName)
    {
        try
        {
            return collector.Capture(name, value, declared, null, originalName);
        }
        catch (Exception e)
        {
            // One value that cannot be walked never fails the snapshot.
            var id = $"error-{collector.VarLookup.Count}-{name}";
            collector.VarLookup[id] = new Variable { Type = SafeTypeName(declared), Value = $"<capture failed: {e.Message}>", Hash = "0" };
            return new VariableID { ID = id, Name = name, OriginalName = originalName };
        }
    }

    private static string SafeTypeName(Type type)
    {
        try
        {
            return CSharpTypeNames.Of(type);
        }
        catch
        {
            return type.Name;
        }
    }

    private WatchResult ToWatchResult(VariableCollector collector, string expression, ExpressionResult result, WatchSource source)
    {
        var watch = new WatchResult { Expression = expression, Source = source };
        if (result.IsError) watch.ErrorResult = result.Error;
        else watch.GoodResult = CaptureSafely(collector, expression, result.Value, result.Type ?? result.Value?.GetType() ?? typeof(object), null);
        return watch;
    }

    /// <summary>The snapshot attributes of §4, including the current Activity's trace context.</summary>
    internal static void AddAttributes(List<KeyValue> attributes, Hit hit, string tracepointId, string stage)
    {
        var tp = hit.Layout;
        attributes.Add(new KeyValue("tracepoint", tracepointId));
        attributes.Add(new KeyValue("path", tp.FilePath));
        attributes.Add(new KeyValue("line", AnyValue.Of((long)tp.LineUsed)));
        attributes.Add(new KeyValue("stage", stage));
        attributes.Add(new KeyValue("context", hit.ContextId));
        attributes.Add(new KeyValue("thread_name", hit.Thread.Name ?? ""));
        attributes.Add(new KeyValue("thread_id", AnyValue.Of((long)hit.Thread.ManagedThreadId)));
        if (tp.MethodSignature is { } signature) attributes.Add(new KeyValue("method_signature", signature));
        if (Activity.Current is { } activity)
        {
            attributes.Add(new KeyValue("span_name", activity.DisplayName));
            if (activity.IdFormat == ActivityIdFormat.W3C)
            {
                attributes.Add(new KeyValue("trace_id", activity.TraceId.ToHexString()));
                attributes.Add(new KeyValue("span_id", activity.SpanId.ToHexString()));
            }
            else if (activity.Id is { } id)
            {
                attributes.Add(new KeyValue("span_id", id));
            }
        }
    }
}
