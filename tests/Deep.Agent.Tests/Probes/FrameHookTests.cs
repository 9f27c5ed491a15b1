using System.Diagnostics;
using Deep.Agent.Actions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;

namespace Deep.Agent.Tests.Probes;

// What the exit hooks call (probe-abi.md §1), driven by hand as the rewritten IL does.
public sealed class FrameHookTests : IDisposable
{
    private readonly List<Activity> _stopped = [];
    private readonly ActivityListener _listener;
    private readonly int _thread = Environment.CurrentManagedThreadId;

    public FrameHookTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "deep" or "frame-hook-tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                // Other test classes run spans in parallel: only this test's thread counts.
                if (a.Source.Name == "deep" && Environment.CurrentManagedThreadId == _thread) lock (_stopped) _stopped.Add(a);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private static int ArmSpan(string scope, string? name = null)
    {
        var id = ProbeTestSupport.NewProbeId();
        var tp = ProbeTestSupport.Tracepoint("span-" + id, args: [("span", scope), ("span_name", name ?? scope + "-span")]);
        ProbeRuntime.Table.SetActions(id, [new SpanAction(tp, Deep.Agent.Triggers.TracepointParser.Spec(tp), new RateLimiter(-1, 0, null, null))]);
        ProbeRuntime.Table.Bind(id, ProbeTestSupport.Layout() with { HasExitHooks = true });
        return id;
    }

    private static void Hit(int probeId)
    {
        Assert.True(ProbeRuntime.Enter(probeId));
        ProbeRuntime.Fire(probeId);
    }

    [Fact]
    public void A_span_started_in_a_frame_stays_current_until_the_frame_exits_then_the_caller_s_activity_is_current_again()
    {
        using var source = new ActivitySource("frame-hook-tests");
        using var outer = source.StartActivity("outer")!;
        var id = ArmSpan("method");

        int mark = ProbeRuntime.FrameEnter();
        Hit(id);
        var span = Activity.Current!;
        Assert.Equal("method-span", span.DisplayName);
        Assert.Equal(outer.SpanId, span.ParentSpanId);
        Assert.Empty(_stopped);

        ProbeRuntime.FrameExit(mark);

        Assert.Same(outer, Activity.Current);
        Assert.Same(span, Assert.Single(_stopped));
        Assert.Equal(mark, ProbeRuntime.OpenSpanCount);
    }

    [Fact]
    public void A_line_span_stops_at_its_span_end_and_a_second_end_does_nothing()
    {
        var id = ArmSpan("line");
        var before = Activity.Current;
        int mark = ProbeRuntime.FrameEnter();
        Hit(id);
        Assert.NotSame(before, Activity.Current);

        ProbeRuntime.SpanEnd(mark, id);
        Assert.Same(before, Activity.Current);
        Assert.Single(_stopped);

        ProbeRuntime.SpanEnd(mark, id);
        ProbeRuntime.FrameExit(mark);
        Assert.Single(_stopped);
    }

    [Fact]
    public void The_frame_exit_stops_every_span_the_frame_left_open_innermost_first_but_not_the_caller_s()
    {
        var callerSpan = ArmSpan("method", "caller");
        var lineSpan = ArmSpan("line", "line");
        var methodSpan = ArmSpan("method", "callee");

        int callerMark = ProbeRuntime.FrameEnter();
        Hit(callerSpan);
        int mark = ProbeRuntime.FrameEnter();      // the callee's frame
        Hit(methodSpan);
        Hit(lineSpan);                             // a line that throws: its span end never runs
        ProbeRuntime.FrameExit(mark);              // the callee's finally

        Assert.Equal(["line", "callee"], _stopped.Select(a => a.DisplayName));
        Assert.Equal("caller", Activity.Current!.DisplayName);
        ProbeRuntime.FrameExit(callerMark);
        Assert.Equal(["line", "callee", "caller"], _stopped.Select(a => a.DisplayName));
    }

    [Fact]
    public void Elapsed_nanos_counts_from_the_entry_timestamp()
    {
        long start = ProbeRuntime.Timestamp();
        Thread.Sleep(5);
        Assert.InRange(ProbeRuntime.ElapsedNanos(start), 4_000_000L, 10_000_000_000L);
        Assert.Equal(0, ProbeRuntime.ElapsedNanos(long.MaxValue));
        Assert.Equal(-1, ProbeRuntime.ElapsedNanos(0)); // TimestampIf refused at entry: the duration is unknown
    }

    private static ProbeFrameLayout TimedExitLayout() => ProbeTestSupport.Layout() with
    {
        Slots = [new ProbeSlot("a", typeof(int), SlotKind.Argument), new ProbeSlot("duration", typeof(long), SlotKind.Duration)],
        HasExitHooks = true,
    };

    // What the finally of a method with one timed exit probe does with the entry timestamp.
    private static void ExitHit(int probeId, long start)
    {
        if (!ProbeRuntime.Enter(probeId)) return;
        ProbeRuntime.Value(7, 0);
        ProbeRuntime.Value(ProbeRuntime.ElapsedNanos(start), 1);
        ProbeRuntime.Fire(probeId);
    }

    [Fact]
    public void Timestamp_if_reads_the_clock_only_while_the_probe_may_fire()
    {
        Assert.Equal(0, ProbeRuntime.TimestampIf(-1));
        Assert.Equal(0, ProbeRuntime.TimestampIf(int.MaxValue));
        var id = ProbeTestSupport.NewProbeId();
        Assert.Equal(0, ProbeRuntime.TimestampIf(id)); // nothing bound

        var durations = new List<long>();
        var action = new RecordingAction(new RateLimiter(1, 0, null, null), onProcess: h => durations.Add(h.Values.Get<long>(1)));
        ProbeRuntime.Table.SetActions(id, [action]);
        Assert.Equal(0, ProbeRuntime.TimestampIf(id)); // actions but no layout: not armed
        ProbeRuntime.Table.Bind(id, TimedExitLayout());
        long before = Stopwatch.GetTimestamp();
        long start = ProbeRuntime.TimestampIf(id);
        Assert.InRange(start, before, Stopwatch.GetTimestamp());

        ExitHit(id, start);
        Assert.InRange(Assert.Single(durations), 0L, 10_000_000_000L);
        Assert.Equal(0, ProbeRuntime.TimestampIf(id)); // fire_count 1 used up
        ProbeRuntime.Table.Remove(id);
        Assert.Equal(0, ProbeRuntime.TimestampIf(id));
    }

    [Fact]
    public void An_exit_hit_of_a_call_that_began_while_the_probe_could_not_fire_is_not_reported()
    {
        var id = ProbeTestSupport.NewProbeId();
        var durations = new List<long>();
        var action = new RecordingAction(onProcess: h => durations.Add(h.Values.Get<long>(1)));
        ProbeRuntime.Table.SetActions(id, [action]);
        ProbeRuntime.Table.Bind(id, TimedExitLayout());

        ExitHit(id, start: 0);                     // TimestampIf answered 0 at entry: duration -1
        Assert.Empty(action.Hits);
        ExitHit(id, ProbeRuntime.TimestampIf(id)); // the hit state was cleared: the next call fires
        Assert.True(Assert.Single(durations) >= 0);
        ProbeRuntime.Table.Remove(id);
    }

    [Fact]
    public void An_alias_runs_copies_of_the_owner_s_actions_against_its_own_layout_sharing_the_fire_count()
    {
        var owner = ProbeTestSupport.NewProbeId();
        var alias1 = ProbeTestSupport.NewProbeId();
        var alias2 = ProbeTestSupport.NewProbeId();
        var action = new RecordingAction(new RateLimiter(2, 0, null, null));
        ProbeRuntime.Table.SetActions(owner, [action]);
        var layout1 = ProbeTestSupport.Layout(("a", typeof(int)));
        var layout2 = ProbeTestSupport.Layout(("b", typeof(string)));
        ProbeRuntime.Table.BindAlias(alias1, owner, layout1);
        ProbeRuntime.Table.BindAlias(alias2, owner, layout2);

        Assert.False(ProbeRuntime.Enter(owner)); // the owner itself has no layout: only its placements fire
        Assert.NotSame(action, Assert.Single(ProbeRuntime.Table.ArmedActions(alias1)));
        Hit(alias1);
        Hit(alias2);
        Assert.False(ProbeRuntime.Enter(alias1)); // fire_count 2, shared by both placements

        ProbeRuntime.Table.Remove(owner);
        Assert.Empty(ProbeRuntime.Table.ArmedActions(alias1));
        Assert.Empty(ProbeRuntime.Table.ArmedActions(alias2));
    }
}
