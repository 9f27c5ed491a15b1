using System.Reflection;
using System.Runtime.CompilerServices;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Triggers;
using Deep.Agent.Tests.Probes;
using Deep.Protocol;
using Deep.Agent.Tests.Diagnostics;

namespace Deep.Agent.Tests.Actions;

/// <summary>Tracepoints end to end through the trigger handler, the probe runtime and the actions, with the real
/// expression compiler and capture.</summary>
public sealed class SnapshotActionTests : TriggeredActionTests
{
    private static Variable Var(Snapshot s, VariableID id) => s.VarLookup[id.ID];

    [Fact]
    public void The_probed_frame_carries_its_variables_by_name_with_CSharp_types_and_values()
    {
        var probe = Apply(Tp("a"));
        BindingEngine.Hit(probe, 7, "widget");
        var s = Assert.Single(_collected.Snapshots);
        var frame = s.Frames[0];
        Assert.Equal(["x", "name"], frame.Variables.Select(v => v.Name));
        var x = Var(s, frame.Variables[0]);
        Assert.Equal(("int", "7"), (x.Type, x.Value));
        var name = Var(s, frame.Variables[1]);
        Assert.Equal(("string", "widget"), (name.Type, name.Value));
        Assert.Equal(BindingEngine.DefaultLayout.FilePath, frame.FileName);
        Assert.Equal(42u, frame.LineNumber);
        Assert.True(s.DurationNanos > 0);
    }

    [Fact]
    public void A_second_snapshot_on_the_same_hit_gets_full_variables()
    {
        // Defect 5.
        var probe = Apply(Tp("a"), Tp("b"));
        BindingEngine.Hit(probe, 7, "widget");
        Assert.Equal(2, _collected.Snapshots.Count);
        foreach (var s in _collected.Snapshots)
        {
            Assert.Equal(["x", "name"], s.Frames[0].Variables.Select(v => v.Name));
            Assert.Equal("widget", Var(s, s.Frames[0].Variables[1]).Value);
        }
        Assert.NotEqual(_collected.Snapshots.First().ID, _collected.Snapshots.Last().ID);
    }

    [Fact]
    public void A_condition_fires_only_when_it_is_boolean_true()
    {
        var probe = Apply(Tp("a", ("condition", "x > 5")));
        BindingEngine.Hit(probe, 3, "n");
        Assert.Empty(_collected.Snapshots);
        BindingEngine.Hit(probe, 7, "n");
        Assert.Single(_collected.Snapshots);
    }

    [Fact]
    public void A_condition_whose_text_looks_truthy_but_is_not_a_boolean_never_fires()
    {
        // Defect 7: the reference agent fired when the result's text was yes/true/t/1/y.
        var probe = Apply(Tp("a", ("condition", "name")));
        BindingEngine.Hit(probe, 1, "true");
        BindingEngine.Hit(probe, 1, "yes");
        Assert.Empty(_collected.Snapshots);
    }

    [Fact]
    public void A_condition_that_fails_at_run_time_does_not_fire_and_is_reported_once()
    {
        using var log = new SelfLogRecorder();
        var probe = Apply(Tp("a", ("condition", "name.Length > 2")));
        BindingEngine.Hit(probe, 1, null);
        BindingEngine.Hit(probe, 1, null);
        Assert.Empty(_collected.Snapshots);
        Assert.Single(log.Messages, m => m.Contains("tracepoint a", StringComparison.Ordinal) && m.Contains("name.Length > 2", StringComparison.Ordinal));
        BindingEngine.Hit(probe, 1, "long enough");
        Assert.Single(_collected.Snapshots);
    }

    [Fact]
    public void An_expression_that_does_not_compile_rejects_that_tracepoint_alone_with_one_diagnostic()
    {
        using var log = new SelfLogRecorder();
        var probe = Apply(Tp("good"), Tp("bad", ("condition", "nosuch > 1")), Tp("forbidden", ("log_msg", "{name = \"x\"}")));
        BindingEngine.Hit(probe, 1, "n");
        BindingEngine.Hit(probe, 2, "n");
        Assert.Equal(["good", "good"], _collected.Snapshots.Select(s => s.Tracepoint!.ID));
        Assert.Single(log.Messages, m => m.Contains("tracepoint bad rejected", StringComparison.Ordinal) && m.Contains("nosuch", StringComparison.Ordinal));
        Assert.Single(log.Messages, m => m.Contains("tracepoint forbidden rejected", StringComparison.Ordinal));
    }

    [Fact]
    public void Watches_report_good_results_and_errors_as_error_results()
    {
        // Defect 6: a failing watch was reported as a good result whose value was the exception.
        var tp = Tp("a");
        tp.Watches.Add("x * 2");
        tp.Watches.Add("name.Length");
        var probe = Apply(tp);
        BindingEngine.Hit(probe, 21, null);
        var s = Assert.Single(_collected.Snapshots);
        var good = s.Watches.Single(w => w.Expression == "x * 2");
        Assert.Equal(WatchSource.Watch, good.Source);
        Assert.Equal("42", Var(s, good.GoodResult!).Value);
        var bad = s.Watches.Single(w => w.Expression == "name.Length");
        Assert.Equal(WatchResultCase.ErrorResult, bad.ResultCase);
        Assert.False(string.IsNullOrEmpty(bad.ErrorResult));
    }

    [Fact]
    public void A_log_message_with_a_snapshot_is_rendered_into_the_snapshot_as_LOG_watches_and_emitted()
    {
        var probe = Apply(Tp("a", ("log_msg", "order {name} x={x} {{literal}}")));
        BindingEngine.Hit(probe, 7, "widget");
        var s = Assert.Single(_collected.Snapshots);
        Assert.Equal("order widget x=7 {literal}", s.LogMsg);
        Assert.Equal(["name", "x"], s.Watches.Where(w => w.Source == WatchSource.Log).Select(w => w.Expression));
        var line = Assert.Single(_collected.Logs);
        Assert.Equal("order widget x=7 {literal}", line.Message);
        Assert.Equal("a", line.TracepointId);
        var context = s.Attributes.Single(a => a.Key == "context").Value!.StringValue;
        Assert.Equal(context, line.ContextId);
    }

    [Fact]
    public void No_collect_with_a_log_message_emits_the_line_and_no_snapshot()
    {
        var probe = Apply(Tp("a", ("snapshot", "no_collect"), ("log_msg", "x is {x}")));
        BindingEngine.Hit(probe, 5, "n");
        Assert.Empty(_collected.Snapshots);
        Assert.Equal("[deep] x is 5 tracepoint=a context=", Assert.Single(_collected.Logs).Formatted[..^32]);
    }

    [Fact]
    public void Per_tracepoint_string_limit_truncates_strings()
    {
        // Defect 2: per-tracepoint MAX_* limits were ignored.
        var probe = Apply(Tp("a", ("MAX_STRING_LENGTH", "4")));
        BindingEngine.Hit(probe, 1, "abcdefghij");
        var s = Assert.Single(_collected.Snapshots);
        var name = Var(s, s.Frames[0].Variables[1]);
        Assert.True(name.Truncated);
        Assert.StartsWith("abcd", name.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("efgh", name.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void No_stack_reports_only_the_probed_frame_and_stack_reports_the_callers()
    {
        var probe = Apply(Tp("a", ("stack_type", "no_stack")));
        CallerFrame(probe);
        var s = Assert.Single(_collected.Snapshots);
        Assert.Single(s.Frames);

        _handler.Apply([Tp("b")]);
        probe = _handler.Probes.Single().Value;
        CallerFrame(probe);
        var full = _collected.Snapshots.Last();
        Assert.True(full.Frames.Count > 2);
        Assert.Equal(BindingEngine.DefaultLayout.FilePath, full.Frames[0].FileName);
        Assert.Contains(full.Frames, f => f.MethodName == nameof(No_stack_reports_only_the_probed_frame_and_stack_reports_the_callers));
        Assert.DoesNotContain(full.Frames.Skip(1), f => f.ClassName?.StartsWith("Deep.Agent.Probes", StringComparison.Ordinal) == true);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallerFrame(int probe) => BindingEngine.Hit(probe, 1, "n");

    [Fact]
    public void No_frame_captures_no_variables()
    {
        var probe = Apply(Tp("a", ("frame_type", "no_frame")));
        BindingEngine.Hit(probe, 1, "n");
        var s = Assert.Single(_collected.Snapshots);
        Assert.Empty(s.Frames[0].Variables);
    }

    [Fact]
    public void A_value_that_cannot_be_walked_does_not_abort_the_snapshot()
    {
        // Defect 4: one object that cannot be walked aborted the whole snapshot (and still used the fire count).
        var broken = new HashSet<int> { 1, 2, 3 };
        typeof(HashSet<int>).GetField("_count", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(broken, 1000);
        var layout = new ProbeFrameLayout(
            [new ProbeSlot("broken", typeof(HashSet<int>), SlotKind.Local), new ProbeSlot("after", typeof(string), SlotKind.Local)],
            BindingEngine.AnyMethod, "/src/A.cs", 3, 0, []);
        var handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, new BindingEngine(_ => layout));
        handler.Apply([ProbeTestSupport.Tracepoint("w", "A.cs", 3)]);
        var probe = handler.Probes.Single().Value;
        Assert.True(ProbeRuntime.Enter(probe));
        ProbeRuntime.Value(broken, 0);
        ProbeRuntime.Value("still here", 1);
        ProbeRuntime.Fire(probe);
        var s = Assert.Single(_collected.Snapshots);
        Assert.Equal("still here", Var(s, s.Frames[0].Variables[1]).Value);
        handler.Clear();
    }

    [Fact]
    public void Fields_of_this_resolve_by_bare_name_in_conditions()
    {
        var layout = new ProbeFrameLayout([new ProbeSlot("this", typeof(Counter), SlotKind.This)], BindingEngine.AnyMethod, "/src/Counter.cs", 9, 0, []);
        var handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, new BindingEngine(_ => layout));
        handler.Apply([ProbeTestSupport.Tracepoint("c", "Counter.cs", 9, ("condition", "_count > 1 && Total == 10"), ("fire_count", "-1"), ("fire_period", "0"))]);
        var probe = handler.Probes.Single().Value;
        foreach (var counter in new[] { new Counter(1, 10), new Counter(2, 10), new Counter(2, 11) })
        {
            Assert.True(ProbeRuntime.Enter(probe));
            ProbeRuntime.Value(counter, 0);
            ProbeRuntime.Fire(probe);
        }
        Assert.Single(_collected.Snapshots);
        handler.Clear();
    }

    [Fact]
    public void The_probed_frame_of_an_async_method_shows_the_source_method_not_the_state_machine()
    {
        var moveNext = typeof(SnapshotActionTests).GetNestedTypes(BindingFlags.NonPublic)
            .Single(t => t.Name.Contains(nameof(PlaceOrderAsync), StringComparison.Ordinal))
            .GetMethod("MoveNext", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!;
        var layout = new ProbeFrameLayout([new ProbeSlot("quantity", typeof(int), SlotKind.Local, "<quantity>5__2")], moveNext, "/src/Shop/Orders.cs", 12, 0, []);
        var handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, new BindingEngine(_ => layout));
        handler.Apply([ProbeTestSupport.Tracepoint("async", "Orders.cs", 12, ("stack_type", "no_stack"))]);
        var probe = handler.Probes.Single().Value;
        Assert.True(ProbeRuntime.Enter(probe));
        ProbeRuntime.Value(3, 0);
        ProbeRuntime.Fire(probe);
        var frame = Assert.Single(Assert.Single(_collected.Snapshots).Frames);
        Assert.Equal(nameof(PlaceOrderAsync), frame.MethodName);
        Assert.True(frame.IsAsync);
        Assert.Equal("/src/Shop/Orders.cs", frame.FileName);
        Assert.Equal(12u, frame.LineNumber);
        var variable = Assert.Single(frame.Variables);
        Assert.Equal(("quantity", "<quantity>5__2"), (variable.Name, variable.OriginalName));
        handler.Clear();
    }

    private static async Task<int> PlaceOrderAsync(int quantity)
    {
        await Task.Yield();
        return quantity * 2;
    }

    private sealed class Counter(int count, int total)
    {
        private readonly int _count = count;

        public int Total { get; } = total;

        public override string ToString() => $"{_count}/{Total}";
    }

    // A line_capture's exception path runs in a filter, called by the runtime's exception dispatch: the walk sees the
    // probed method twice with the dispatch between; the snapshot shows it once, then its callers.
    [Fact]
    public void The_exception_dispatch_between_a_filter_and_its_frame_is_left_out_of_the_stack()
    {
        static StackFrame Frame(string type, string method) => new() { ClassName = type, MethodName = method };
        var frames = new List<StackFrame>
        {
            Frame("Shop.OrderService", "PlaceOrder"),
            Frame("System.Runtime.EH", "FindFirstPassHandler"),
            Frame("System.Runtime.EH", "DispatchEx"),
            Frame(null!, "RhpCallFilterFunclet.__PInvoke"),  // seen once the dispatch's interop stub is compiled
            Frame("Shop.Payments", "Charge"),              // where the exception came from, not unwound yet
            Frame("Shop.OrderService", "PlaceOrder"),
            Frame("Program", "Main"),
        };
        Deep.Agent.Capture.ProbedStack.SkipExceptionDispatch(frames);
        Assert.Equal(["Shop.OrderService.PlaceOrder", "Program.Main"], frames.Select(f => f.ClassName + "." + f.MethodName));

        // Without the frame itself further down, only the dispatch goes.
        var unmatched = new List<StackFrame> { Frame("A", "F"), Frame("System.Runtime.EH", "DispatchEx"), Frame(null!, "RhpCallFilterFunclet.__PInvoke"), Frame("B", "G") };
        Deep.Agent.Capture.ProbedStack.SkipExceptionDispatch(unmatched);
        Assert.Equal(["A.F", "B.G"], unmatched.Select(f => f.ClassName + "." + f.MethodName));
    }
}
