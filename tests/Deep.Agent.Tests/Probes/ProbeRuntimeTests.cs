using System.Runtime.CompilerServices;
using Deep.Agent.Probes;

namespace Deep.Agent.Tests.Probes;

public class ProbeRuntimeTests
{
    private static int Arm(RecordingAction action, params (string, Type)[] slots)
    {
        var id = ProbeTestSupport.NewProbeId();
        ProbeRuntime.Table.SetActions(id, [action]);
        ProbeRuntime.Table.Bind(id, ProbeTestSupport.Layout(slots));
        return id;
    }

    [Fact]
    public void Enter_answers_false_for_an_unknown_probe_id()
    {
        Assert.False(ProbeRuntime.Enter(987_654));
        Assert.False(ProbeRuntime.Enter(-1));
        Assert.False(ProbeRuntime.Enter(int.MaxValue));
    }

    [Fact]
    public void Enter_answers_false_until_the_engine_binds_the_probe()
    {
        var id = ProbeTestSupport.NewProbeId();
        ProbeRuntime.Table.SetActions(id, [new RecordingAction()]);
        Assert.False(ProbeRuntime.Enter(id));
        ProbeRuntime.Table.Bind(id, ProbeTestSupport.Layout(("x", typeof(int))));
        Assert.True(ProbeRuntime.Enter(id));
        ProbeRuntime.Fire(id);
    }

    [Fact]
    public void Values_are_read_back_typed_in_the_order_the_IL_gave_them()
    {
        string? seenName = null;
        int seenCount = 0;
        double seenPrice = 0;
        Guid seenGuid = default;
        var action = new RecordingAction(onProcess: h =>
        {
            seenName = h.Values.Get<string>(0);
            seenCount = h.Values.Get<int>(1);
            seenPrice = h.Values.Get<double>(2);
            seenGuid = h.Values.Get<Guid>(3);
        });
        var id = Arm(action, ("name", typeof(string)), ("count", typeof(int)), ("price", typeof(double)), ("id", typeof(Guid)));
        var guid = Guid.NewGuid();

        if (ProbeRuntime.Enter(id))
        {
            ProbeRuntime.Value("widget", 0);
            ProbeRuntime.Value(7, 1);
            ProbeRuntime.Value(19.5, 2);
            ProbeRuntime.Value(guid, 3);
            ProbeRuntime.Fire(id);
        }

        Assert.Single(action.Hits);
        Assert.Equal("widget", seenName);
        Assert.Equal(7, seenCount);
        Assert.Equal(19.5, seenPrice);
        Assert.Equal(guid, seenGuid);
    }

    [Fact]
    public void Small_unmanaged_values_are_stored_without_allocating()
    {
        var action = new RecordingAction(condition: h => h.Get<long>(0) > 100 && h.Get<int>(1) > 0);
        var id = Arm(action, ("a", typeof(long)), ("b", typeof(int)));
        void Hit()
        {
            if (ProbeRuntime.Enter(id))
            {
                ProbeRuntime.Value(5L, 0);
                ProbeRuntime.Value(3, 1);
                ProbeRuntime.Fire(id);
            }
        }
        Hit(); // warm up: the thread's hit state is allocated once
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) Hit();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Empty(action.Hits);
    }

    [Fact]
    public void A_rate_limited_out_hit_allocates_nothing()
    {
        var action = new RecordingAction(limiter: new RateLimiter(1, 0, null, null));
        var id = Arm(action, ("x", typeof(int)));
        Assert.True(ProbeRuntime.Enter(id));
        ProbeRuntime.Value(1, 0);
        ProbeRuntime.Fire(id);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var entered = 0;
        for (var i = 0; i < 1000; i++) if (ProbeRuntime.Enter(id)) entered++;
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, entered);
    }

    [Fact]
    public void Large_structs_and_nullables_are_boxed_only_when_read_as_objects()
    {
        object? boxedDecimal = null, boxedNullable = null, boxedNull = null;
        var action = new RecordingAction(onProcess: h =>
        {
            boxedDecimal = h.Values.GetBoxed(0);
            boxedNullable = h.Values.GetBoxed(1);
            boxedNull = h.Values.GetBoxed(2);
            Assert.Equal(12.34m, h.Values.Get<decimal>(0));
            Assert.Equal(5, h.Values.Get<int?>(1));
            Assert.Null(h.Values.Get<int?>(2));
        });
        var id = Arm(action, ("d", typeof(decimal)), ("n", typeof(int?)), ("m", typeof(int?)));

        Assert.True(ProbeRuntime.Enter(id));
        ProbeRuntime.Value(12.34m, 0);
        ProbeRuntime.Value<int?>(5, 1);
        ProbeRuntime.Value<int?>(null, 2);
        ProbeRuntime.Fire(id);

        Assert.Equal(12.34m, boxedDecimal);
        Assert.Equal(5, boxedNullable); // boxing a Nullable<int> with a value gives a boxed int
        Assert.Null(boxedNull);
    }

    [Fact]
    public void ValueObject_hands_over_an_already_boxed_value()
    {
        object? seen = null;
        var action = new RecordingAction(onProcess: h => seen = h.Values.GetBoxed(0));
        var id = Arm(action, ("s", typeof(DateTime)));
        var when = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        Assert.True(ProbeRuntime.Enter(id));
        ProbeRuntime.ValueObject(when, 0);
        ProbeRuntime.Fire(id);
        Assert.Equal(when, seen);
    }

    [Fact]
    public void The_hit_state_is_cleared_after_Fire_so_no_application_object_is_kept_alive()
    {
        var action = new RecordingAction();
        var id = Arm(action, ("o", typeof(object)));
        var weak = FireWithGarbage(id);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(weak.IsAlive);
        Assert.Single(action.Hits);
        Assert.False(action.Hits[0].Values.Has(0));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference FireWithGarbage(int id)
    {
        var o = new object();
        Assert.True(ProbeRuntime.Enter(id));
        ProbeRuntime.Value(o, 0);
        ProbeRuntime.Fire(id);
        return new WeakReference(o);
    }

    [Fact]
    public void A_throwing_action_never_reaches_the_application_and_the_other_actions_still_run()
    {
        var errors = new List<string>();
        var table = new ProbeTable(new PerSecondCap(100), onActionFailed: (_, m) => errors.Add(m));
        ProbeRuntime.Activate(table);
        try
        {
            var bad = new RecordingAction(onProcess: _ => throw new InvalidOperationException("boom"));
            var good = new RecordingAction();
            var id = ProbeTestSupport.NewProbeId();
            ProbeRuntime.Table.SetActions(id, [bad, good]);
            ProbeRuntime.Table.Bind(id, ProbeTestSupport.Layout(("x", typeof(int))));

            Assert.True(ProbeRuntime.Enter(id));
            ProbeRuntime.Value(1, 0);
            ProbeRuntime.Fire(id); // must not throw

            Assert.Single(good.Hits);
            Assert.Contains(errors, e => e.Contains("boom", StringComparison.Ordinal));
        }
        finally
        {
            ProbeRuntime.Deactivate(table);
        }
    }

    [Fact]
    public void A_throwing_condition_means_do_not_fire_and_is_reported_once()
    {
        var errors = new List<string>();
        var table = new ProbeTable(new PerSecondCap(100), onActionFailed: (_, m) => errors.Add(m));
        ProbeRuntime.Activate(table);
        try
        {
            var action = new RecordingAction(condition: h => h.Get<string>(0).Length > 3);
            var id = Arm(action, ("s", typeof(string)));
            for (var i = 0; i < 3; i++)
            {
                Assert.True(ProbeRuntime.Enter(id));
                ProbeRuntime.Value<string?>(null, 0);
                ProbeRuntime.Fire(id);
            }
            Assert.Empty(action.Hits);
            Assert.Single(errors);
        }
        finally
        {
            ProbeRuntime.Deactivate(table);
        }
    }

    [Fact]
    public void A_probe_hit_while_the_agent_runs_on_the_same_thread_is_ignored()
    {
        var inner = new RecordingAction();
        var innerId = Arm(inner, ("x", typeof(int)));
        bool? innerEntered = null;
        var outer = new RecordingAction(onProcess: _ => innerEntered = ProbeRuntime.Enter(innerId));
        var outerId = Arm(outer, ("x", typeof(int)));

        Assert.True(ProbeRuntime.Enter(outerId));
        ProbeRuntime.Value(1, 0);
        ProbeRuntime.Fire(outerId);

        Assert.False(innerEntered);
        Assert.True(ProbeRuntime.Enter(innerId)); // and afterwards the thread is an application thread again
        ProbeRuntime.Fire(innerId);
        Assert.Single(inner.Hits);
    }

    [Fact]
    public void Probes_hit_on_an_agent_thread_are_ignored()
    {
        var action = new RecordingAction();
        var id = Arm(action, ("x", typeof(int)));
        bool? entered = null;
        var thread = new Thread(() =>
        {
            ProbeRuntime.MarkAgentThread();
            entered = ProbeRuntime.Enter(id);
        });
        thread.Start();
        thread.Join();
        Assert.False(entered);
    }

    [Fact]
    public void Fire_without_Enter_or_for_another_probe_does_nothing()
    {
        var action = new RecordingAction();
        var id = Arm(action, ("x", typeof(int)));
        ProbeRuntime.Fire(id);
        Assert.Empty(action.Hits);

        var other = Arm(new RecordingAction(), ("x", typeof(int)));
        Assert.True(ProbeRuntime.Enter(other));
        ProbeRuntime.Fire(id);
        Assert.Empty(action.Hits);
    }

    [Fact]
    public void Unbind_disarms_the_probe_and_Remove_forgets_it()
    {
        var action = new RecordingAction();
        var id = Arm(action, ("x", typeof(int)));
        ProbeRuntime.Table.Unbind(id);
        Assert.False(ProbeRuntime.Enter(id));
        ProbeRuntime.Table.Bind(id, ProbeTestSupport.Layout(("x", typeof(int))));
        Assert.True(ProbeRuntime.Enter(id));
        ProbeRuntime.Fire(id);
        ProbeRuntime.Table.Remove(id);
        Assert.False(ProbeRuntime.Enter(id));
    }

    [Fact]
    public void Every_hit_of_a_condition_passing_probe_fires_on_many_threads_without_losing_counts()
    {
        var limiter = new RateLimiter(500, 0, null, null);
        var action = new RecordingAction(limiter: limiter, onProcess: _ => { });
        var id = Arm(action, ("x", typeof(int)));
        var fired = 0;
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (ProbeRuntime.Enter(id))
                {
                    ProbeRuntime.Value(i, 0);
                    ProbeRuntime.Fire(id);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        fired = limiter.FireCount;
        Assert.Equal(500, fired);
        Assert.True(limiter.Exhausted);
    }
}

public class NoTracepointsCostTests
{
    [Fact]
    public void With_no_tracepoints_nothing_is_installed_and_an_unknown_probe_costs_no_allocation()
    {
        // Defect 12: the reference agent hooked every function call even with no tracepoints. Here nothing is
        // rewritten until a tracepoint exists, and a stale probe id answers false without allocating.
        var engine = new BindingEngine();
        var handler = new Deep.Agent.Triggers.TriggerHandler(Collected.Context(new Collected()), ProbeRuntime.Table, engine);
        handler.Apply([]);
        Assert.Empty(engine.Installed);

        ProbeRuntime.Enter(123_456_789);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) Assert.False(ProbeRuntime.Enter(555_555 + (i % 7)));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
