using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Triggers;
using Deep.Agent.Tests.Diagnostics;
using Deep.Agent.Tests.Probes;
using Deep.Protocol;
using Deep.Tracepoints;

namespace Deep.Agent.Tests.Triggers;

public class TriggerHandlerTests
{
    private readonly Collected _collected = new();
    private readonly BindingEngine _engine = new();
    private readonly TriggerHandler _handler;

    public TriggerHandlerTests() => _handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, _engine);

    private static TracePointConfig Tp(string id, uint line = 42, params (string, string)[] args) =>
        ProbeTestSupport.Tracepoint(id, "OrderService.cs", line, [("fire_count", "-1"), ("fire_period", "0"), .. args]);

    private int ProbeAt(uint line) => _handler.ProbeIdOf(new LocationKey("OrderService.cs", (int)line, null, null, TracepointStage.LineStart))!.Value;

    [Fact]
    public void Tracepoints_at_one_location_share_one_probe_and_each_action_fires()
    {
        _handler.Apply([Tp("a", 42, ("fire_count", "1")), Tp("b", 42)]);
        Assert.Single(_engine.Installed);
        var id = ProbeAt(42);
        Assert.Equal(2, ProbeRuntime.Table.ArmedActions(id).Count);

        Assert.True(BindingEngine.Hit(id, 1, "n"));
        Assert.Equal(2, _collected.Snapshots.Count);
        Assert.Equal(["a", "b"], _collected.Snapshots.Select(s => s.Tracepoint!.ID).Order());
        _handler.Clear();
    }

    [Fact]
    public void An_accepted_tracepoint_is_not_logged_as_installed_before_the_engine_installs_it()
    {
        // Issue #12 item 9: a probe still pending was logged as "installed".
        using var log = new SelfLogRecorder();
        var pending = new TriggerHandler(Collected.Context(new Collected()), ProbeRuntime.Table, engine: null, whyNoEngine: "the profiler is not loaded");
        pending.Apply([Tp("tp-pending", 77)]);
        _handler.Apply([Tp("tp-engine", 78)]);
        pending.Clear();
        _handler.Clear();
        var mine = log.Messages.Where(l => l.Contains("tp-pending") || l.Contains("tp-engine")).ToArray();
        Assert.Contains("tracepoint tp-pending accepted: probe at OrderService.cs:77 (LineStart), pending: the profiler is not loaded", mine);
        Assert.Contains(mine, l => l.StartsWith("tracepoint tp-engine accepted: probe at OrderService.cs:78 (LineStart), probe ", StringComparison.Ordinal)
                                   && l.EndsWith(" requested from the engine", StringComparison.Ordinal));
        Assert.DoesNotContain(mine, l => l.Contains("installed", StringComparison.Ordinal));
    }

    [Fact]
    public void Unchanged_tracepoints_keep_their_fire_counters_across_config_updates()
    {
        // Defect 10: the reference agent reset every counter on every config change.
        _handler.Apply([Tp("a", 42, ("fire_count", "2"))]);
        var id = ProbeAt(42);
        BindingEngine.Hit(id, 1, "n");
        BindingEngine.Hit(id, 1, "n");
        Assert.False(ProbeRuntime.Enter(id));

        _handler.Apply([Tp("a", 42, ("fire_count", "2")), Tp("b", 50)]);
        Assert.Equal(id, ProbeAt(42));
        Assert.All(ProbeRuntime.Table.ArmedActions(id), a => Assert.True(a.Limiter.Exhausted));
        Assert.False(BindingEngine.Hit(id, 1, "n"));
        Assert.Equal(2, _collected.Snapshots.Count);
        Assert.Single(_engine.Installed, l => l.Line == 42); // not reinstalled
        _handler.Clear();
    }

    [Fact]
    public void A_changed_tracepoint_gets_fresh_actions()
    {
        _handler.Apply([Tp("a", 42, ("fire_count", "1"))]);
        var id = ProbeAt(42);
        BindingEngine.Hit(id, 1, "n");
        _handler.Apply([Tp("a", 42, ("fire_count", "2"))]);
        Assert.True(BindingEngine.Hit(id, 1, "n"));
        _handler.Clear();
    }

    [Fact]
    public void A_tracepoint_that_disappears_has_its_probe_removed()
    {
        _handler.Apply([Tp("a", 42), Tp("b", 50)]);
        var gone = ProbeAt(50);
        _handler.Apply([Tp("a", 42)]);
        Assert.Equal([gone], _engine.Removed);
        Assert.False(ProbeRuntime.Enter(gone));
        Assert.Null(_handler.ProbeIdOf(new LocationKey("OrderService.cs", 50, null, null, TracepointStage.LineStart)));
        _handler.Clear();
    }

    [Fact]
    public void One_malformed_tracepoint_is_rejected_alone_with_one_diagnostic_and_the_rest_is_applied()
    {
        // Defect 3: one unknown stage rejected the whole poll response, on every poll.
        using var log = new SelfLogRecorder();
        try
        {
            var list = new[] { Tp("good", 42), Tp("bad", 43, ("stage", "sometime")) };
            _handler.Apply(list);
            _handler.Apply(list); // the next poll: no new diagnostic
            Assert.Single(_engine.Installed);
            Assert.Single(log.Messages, m => m.Contains("tracepoint bad rejected: unknown stage 'sometime'", StringComparison.Ordinal));
            Assert.True(BindingEngine.Hit(ProbeAt(42), 1, "n"));
        }
        finally
        {
            _handler.Clear();
        }
    }

    [Fact]
    public void More_watches_than_the_spec_allows_reject_the_tracepoint_with_why_instead_of_capturing()
    {
        // A server that does not check (or a hostile one): the agent holds to the limit the server enforces.
        var tooMany = Tp("many", 43);
        tooMany.Watches.AddRange(Enumerable.Range(0, TracepointSpec.MaxWatches + 1).Select(i => $"w{i}"));
        var atLimit = Tp("limit", 42);
        atLimit.Watches.AddRange(Enumerable.Repeat("n", TracepointSpec.MaxWatches));
        try
        {
            _handler.Apply([atLimit, tooMany]);
            Assert.Single(_engine.Installed);
            Assert.Null(_handler.ProbeIdOf(new LocationKey("OrderService.cs", 43, null, null, TracepointStage.LineStart)));
            var (rejected, probeId) = Assert.Single(_handler.Current(), c => c.Tracepoint.Tracepoint.ID == "many");
            Assert.Null(probeId);
            Assert.Empty(rejected.Actions);
            Assert.Equal("the tracepoint has 101 watches; at most 100 are allowed", rejected.Error);
            Assert.Null(Assert.Single(_handler.Current(), c => c.Tracepoint.Tracepoint.ID == "limit").Tracepoint.Error);
        }
        finally
        {
            _handler.Clear();
        }
    }

    [Fact]
    public void Without_an_engine_tracepoints_stay_pending_and_say_why()
    {
        using var log = new SelfLogRecorder();
        var handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, null, "the profiler is not loaded");
        handler.Apply([Tp("a", 42)]);
        var id = handler.ProbeIdOf(new LocationKey("OrderService.cs", 42, null, null, TracepointStage.LineStart))!.Value;
        Assert.False(ProbeRuntime.Enter(id));
        Assert.Contains(log.Messages, m => m.Contains("the profiler is not loaded", StringComparison.Ordinal));
        handler.Clear();
    }

    [Fact]
    public void The_spans_a_location_opens_travel_with_it_and_a_change_reinstalls_it()
    {
        _handler.Apply([Tp("plain", 42)]);
        var first = Assert.Single(_engine.Installed);
        Assert.Equal((false, false), first.SpanScopes);

        // A second tracepoint at the same location opens a line span: the location is installed again, with it.
        _handler.Apply([Tp("plain", 42), Tp("spanned", 42, ("span", "line"))]);
        Assert.Equal(2, _engine.Installed.Count);
        var second = _engine.Installed.Last();
        Assert.Equal(first.ProbeId, second.ProbeId);
        Assert.Equal((true, false), second.SpanScopes);

        // Unchanged spans: the actions are re-armed in place, nothing is installed again.
        _handler.Apply([Tp("plain", 42, ("fire_count", "5")), Tp("spanned", 42, ("span", "line"))]);
        Assert.Equal(2, _engine.Installed.Count);

        _handler.Apply([Tp("method-span", 42, ("span", "method"))]);
        Assert.Equal((false, true), _engine.Installed.Last().SpanScopes);
        _handler.Clear();
    }

    [Fact]
    public void A_throwing_engine_does_not_stop_the_other_locations()
    {
        var engine = new ThrowingOnceEngine();
        var handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, engine);
        handler.Apply([Tp("a", 42), Tp("b", 50)]);
        Assert.Equal(2, engine.Calls);
        handler.Clear();
    }

    private sealed class ThrowingOnceEngine : IInstrumentationEngine
    {
        public int Calls;

        public void Install(ProbeLocation location)
        {
            if (Interlocked.Increment(ref Calls) == 1) throw new InvalidOperationException("cannot");
        }

        public void Remove(int probeId)
        {
        }
    }
}
