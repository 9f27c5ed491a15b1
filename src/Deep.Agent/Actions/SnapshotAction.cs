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
        var binding = new ExpressionBinding(layout);
        Condition = Conditions.Compile(_spec.Condition, binding, this, out var error);
        if (error is not null) return error;
        // A watch that does not bind stays in the list: it is that watch's error_result in every snapshot.
        var watches = new CompiledExpression<HitState>[_spec.Watches.Count];
        for (var i = 0; i < watches.Length; i++)
        {
            var watch = _spec.Watches[i];
            var compiled = binding.Compile($"watch '{ExpressionLimits.Abbreviate(watch.Source)}'", watch, out error);
            if (compiled is null) return error;
            watches[i] = compiled;
        }
        _watches = watches;
        _logTemplate = null;
        if (_spec.LogMessage is { } template)
        {
            _logTemplate = binding.CompileTemplate(template, out error);
            if (error is not null) return error;
        }
        FailedExpressions = binding.Failures;
        binding.Log(this);
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
        if (hit.Awaited)
        {
            snapshot.Frames.Add(ProbedStack.ProbedFrame(hit.Layout, _context.FrameOptions(false)));
        }
        else
        {
            snapshot.Frames.AddRange(ProbedStack.Collect(hit, _context.FrameOptions(_includeStack), out var stackError));
            if (stackError is not null) ReportRuntimeError(stackError);
        }

        // One collector per snapshot: a second snapshot on the same hit gets its own, complete variables. Created after
        // the stack walk, so the capture time budget is spent on variables, not on reading PDBs for the frames.
        var collector = new VariableCollector(_limits, _context.Redactor);
        if (_frameVariables) FrameVariables.Collect(collector, hit, snapshot.Frames[0].Variables);

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
        new() { Expression = name, Source = WatchSource.Capture, GoodResult = FrameVariables.CaptureSafely(collector, name, value, declared, null) };

    private WatchResult ToWatchResult(VariableCollector collector, string expression, ExpressionResult result, WatchSource source)
    {
        var watch = new WatchResult { Expression = expression, Source = source };
        if (result.IsError) watch.ErrorResult = result.Error;
        else watch.GoodResult = FrameVariables.CaptureSafely(collector, expression, result.Value, result.Type ?? result.Value?.GetType() ?? typeof(object), null);
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
