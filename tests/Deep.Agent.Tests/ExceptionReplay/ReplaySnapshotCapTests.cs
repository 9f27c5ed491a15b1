using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using Deep.Agent.Diagnostics;
using Deep.Agent.ExceptionReplay;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Settings;

namespace Deep.Agent.Tests.ExceptionReplay;

/// <summary>A replay snapshot takes from the global snapshots-per-second cap; refused, it is dropped and the hooks stay.</summary>
public class ReplaySnapshotCapTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public void Cap_zero_drops_every_replay_snapshot_and_keeps_the_fingerprint_hooked()
    {
        var table = new FingerprintTable(Hour);
        var cap = new PerSecondCap(0);
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("f", false, T0, cap)); // hooking takes nothing
        Assert.Equal(EscapeOutcome.Count, table.OnEscape("f", false, T0.AddSeconds(1), cap)); // not captured: nothing to take
        Assert.Equal(EscapeOutcome.Dropped, table.OnEscape("f", true, T0.AddSeconds(2), cap));
        Assert.Equal(EscapeOutcome.Dropped, table.OnEscape("f", true, T0.AddSeconds(3), cap));
        Assert.Equal(1, table.Instrumented);
        Assert.Equal(4, table.CountSinceSnapshot("f")); // the dropped ones are reported with the next snapshot
        // Still hooked, so expiry after an interval without recurrence applies as to any hooked fingerprint.
        Assert.Equal(["f"], table.Expire(T0.AddSeconds(3) + Hour));
    }

    [Fact]
    public void A_dropped_snapshot_does_not_use_up_the_interval()
    {
        var table = new FingerprintTable(Hour);
        var refusing = new PerSecondCap(0);
        var unlimited = new PerSecondCap(-1);
        table.OnEscape("f", false, T0, unlimited);
        Assert.Equal(EscapeOutcome.Dropped, table.OnEscape("f", true, T0.AddSeconds(1), refusing));
        Assert.Equal(EscapeOutcome.Snapshot, table.OnEscape("f", true, T0.AddSeconds(2), unlimited)); // within the interval
        Assert.Equal(0, table.Instrumented);
        Assert.Equal(EscapeOutcome.Count, table.OnEscape("f", true, T0.AddSeconds(3), unlimited)); // now the interval runs
    }

    [Fact]
    public void Unlimited_cap_minus_one_lets_every_fingerprint_snapshot()
    {
        var table = new FingerprintTable(Hour, maxInstrumented: 500, hookBurst: 500);
        var cap = new PerSecondCap(-1);
        for (var i = 0; i < 500; i++) table.OnEscape("f" + i, false, T0, cap);
        var outcomes = Enumerable.Range(0, 500).Select(i => table.OnEscape("f" + i, true, T0.AddSeconds(1), cap)).ToList();
        Assert.All(outcomes, o => Assert.Equal(EscapeOutcome.Snapshot, o));
    }

    [Fact]
    public void Many_fingerprints_at_once_snapshot_only_as_many_as_the_cap_gives_the_rest_stay_hooked()
    {
        var table = new FingerprintTable(Hour, hookBurst: 100);
        var cap = new PerSecondCap(10);
        for (var i = 0; i < 100; i++) table.OnEscape("f" + i, false, T0, cap);
        var outcomes = Enumerable.Range(0, 100).Select(i => table.OnEscape("f" + i, true, T0.AddSeconds(1), cap)).ToList();
        Assert.Equal(10, outcomes.Count(o => o == EscapeOutcome.Snapshot));
        Assert.Equal(90, outcomes.Count(o => o == EscapeOutcome.Dropped));
        Assert.Equal(90, table.Instrumented);
    }

    // The service end to end on its agent-thread step (Handle), with a recording engine: DEEP_IN_APP_EXCLUDE makes
    // this test assembly not app code, so exceptions of tests running meanwhile never reach the service's own thread.
    [Fact]
    public void Service_cap_zero_sends_nothing_counts_a_drop_and_keeps_its_hooks()
    {
        var cap = new PerSecondCap(0);
        using var run = new ServiceRun(cap);
        run.Handle(captured: false); // first escape: hooks
        Assert.Single(run.Engine.Installed);
        var dropped = SelfLog.DroppedSnapshots;
        run.Handle(captured: true);
        run.Handle(captured: true);
        Assert.Empty(run.Sink.Snapshots);
        Assert.True(SelfLog.DroppedSnapshots >= dropped + 2, $"dropped {SelfLog.DroppedSnapshots - dropped}");
        Assert.Empty(run.Engine.Removed);
        Assert.Equal(1, run.Service.Table.Instrumented);
    }

    [Fact]
    public void Service_cap_reached_drops_and_once_the_cap_resets_the_next_occurrence_is_the_snapshot()
    {
        var cap = new PerSecondCap(1);
        using var run = new ServiceRun(cap);
        run.Handle(captured: false);
        Assert.All(run.Engine.Installed, l => Assert.Single(run.Table.ArmedActions(l.ProbeId)));
        Assert.True(cap.TryTake()); // a tracepoint took this second's only snapshot
        run.Handle(captured: true);
        Assert.Empty(run.Sink.Snapshots);
        Assert.Empty(run.Engine.Removed);

        // The cap's window is one second from its first take; wait for it (generous bound for a loaded machine).
        var clock = Stopwatch.StartNew();
        while (!cap.MayTake() && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
        Assert.True(cap.MayTake(), "the cap did not reset within 30 s");
        run.Handle(captured: true);
        var snapshot = Assert.Single(run.Sink.Snapshots);
        Assert.Equal(3, snapshot.Attributes.Single(a => a.Key == "exception.count").Value?.IntValue); // the drop is counted in
        // After the capture the hooks are disarmed at once, and their code goes once unused for a while.
        Assert.All(run.Engine.Installed, l => Assert.Empty(run.Table.ArmedActions(l.ProbeId)));
        Assert.Empty(run.Engine.Removed);
        run.Service.RemoveIdleHooks(DateTime.UtcNow + ExceptionReplayService.HookLinger);
        Assert.Equal(run.Engine.Installed.Select(l => l.ProbeId), run.Engine.Removed);
        Assert.False(cap.MayTake()); // the snapshot took its place in the cap
    }

    [Fact]
    public void Service_unlimited_cap_takes_the_snapshot_at_once()
    {
        using var run = new ServiceRun(new PerSecondCap(-1));
        run.Handle(captured: false);
        run.Handle(captured: true);
        Assert.Single(run.Sink.Snapshots);
        Assert.Equal(0, run.Service.Table.Instrumented);
    }

    private sealed class ServiceRun : IDisposable
    {
        private static readonly MethodBase Thrower = typeof(ServiceRun).GetMethod(nameof(Fail), BindingFlags.NonPublic | BindingFlags.Static)!;

        public ServiceRun(PerSecondCap cap)
        {
            var settings = AgentSettings.FromEnvironment(new Dictionary<string, string?> { ["DEEP_IN_APP_EXCLUDE"] = "Deep.Agent.Tests" });
            Table = new ProbeTable(cap);
            Engine = new RecordingEngine(Table);
            Service = ExceptionReplayService.StartWith(Collected.Context(Sink, settings), Engine, Table)
                ?? throw new InvalidOperationException("the service did not start");
        }

        public ProbeTable Table { get; }

        public Collected Sink { get; } = new();

        public RecordingEngine Engine { get; }

        public ExceptionReplayService Service { get; }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Fail(int order) => throw new InvalidOperationException("order " + order);

        // One occurrence of the same failure; captured: a hooked frame attached its values to it.
        public void Handle(bool captured)
        {
            Exception exception;
            try
            {
                Fail(7);
                throw new UnreachableException();
            }
            catch (InvalidOperationException e)
            {
                exception = e;
            }
            var frames = new List<AppFrame> { new(Thrower, 0) };
            if (captured) Service.Store.Add(exception, new FrameCapture(Thrower, "ReplaySnapshotCapTests.cs", 1, [new CapturedValue(0, new ProbeSlot("order", typeof(int), Deep.Abi.SlotKind.Argument), 7)]));
            Service.Handle(new Escape(exception, Fingerprint.Of(exception.GetType(), frames), frames, 0, "test", Environment.CurrentManagedThreadId, null, null));
        }

        public void Dispose() => Service.Dispose();
    }

    // Records what the service asks for, and binds an exit layout as the profiler's engine would, so the probe table
    // arms the hook's action.
    private sealed class RecordingEngine(ProbeTable table) : IInstrumentationEngine
    {
        public List<ProbeLocation> Installed { get; } = [];

        public List<int> Removed { get; } = [];

        public void Install(ProbeLocation location)
        {
            Installed.Add(location);
            table.Bind(location.ProbeId, new ProbeFrameLayout([new ProbeSlot("exception", typeof(Exception), Deep.Abi.SlotKind.Exception)],
                typeof(RecordingEngine).GetMethod(nameof(Install))!, "ReplaySnapshotCapTests.cs", 1, -1, []));
        }

        public void Remove(int probeId) => Removed.Add(probeId);
    }
}
