using Deep.Agent.Probes;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Deep.Agent.Capture;
using Deep.Agent.ExceptionReplay;
using Deep.Agent.Instrumentation;
using Deep.Agent.Settings;
using Deep.Agent.Tests.Diagnostics;

namespace Deep.Agent.Tests.ExceptionReplay;

public class FingerprintTests
{
    private static readonly MethodBase A = typeof(FingerprintTests).GetMethod(nameof(Same_failure_same_fingerprint))!;
    private static readonly MethodBase B = typeof(FingerprintTests).GetMethod(nameof(Another_place_type_or_path_is_another_fingerprint))!;

    [Fact]
    public void Same_failure_same_fingerprint()
    {
        var one = Fingerprint.Of(typeof(InvalidOperationException), [new AppFrame(A, 12), new AppFrame(B, 3)]);
        Assert.Equal(one, Fingerprint.Of(typeof(InvalidOperationException), [new AppFrame(A, 12), new AppFrame(B, 3)]));
        Assert.Matches("^[0-9a-f]{16}$", one);
    }

    [Fact]
    public void Another_place_type_or_path_is_another_fingerprint()
    {
        var one = Fingerprint.Of(typeof(InvalidOperationException), [new AppFrame(A, 12), new AppFrame(B, 3)]);
        Assert.NotEqual(one, Fingerprint.Of(typeof(InvalidOperationException), [new AppFrame(A, 13), new AppFrame(B, 3)])); // IL offset
        Assert.NotEqual(one, Fingerprint.Of(typeof(ArgumentException), [new AppFrame(A, 12), new AppFrame(B, 3)])); // type
        Assert.NotEqual(one, Fingerprint.Of(typeof(InvalidOperationException), [new AppFrame(B, 3), new AppFrame(A, 12)])); // order
        Assert.NotEqual(one, Fingerprint.Of(typeof(InvalidOperationException), [new AppFrame(A, 12)])); // depth
        Assert.Contains("Deep.Agent.Tests.ExceptionReplay.FingerprintTests.Same_failure_same_fingerprint@12", Fingerprint.Describe(typeof(Exception), [new AppFrame(A, 12)]));
    }

    [Fact]
    public void A_deep_recursion_is_fingerprinted_by_its_innermost_frames_only()
    {
        var deep = Enumerable.Repeat(new AppFrame(A, 1), Fingerprint.MaxFrames).ToList();
        var deeper = Enumerable.Repeat(new AppFrame(A, 1), Fingerprint.MaxFrames + 50).ToList();
        Assert.Equal(Fingerprint.Of(typeof(Exception), deep), Fingerprint.Of(typeof(Exception), deeper));
    }
}

public class FingerprintTableTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public void First_escape_instruments_the_next_captured_one_snapshots_then_nothing_for_the_interval()
    {
        var table = new FingerprintTable(Hour);
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("f", false, T0));
        Assert.Equal(EscapeOutcome.Count, table.OnEscape("f", false, T0.AddSeconds(1))); // hooks not live yet
        Assert.Equal(3, table.CountSinceSnapshot("f") + 1);
        Assert.Equal(EscapeOutcome.Snapshot, table.OnEscape("f", true, T0.AddSeconds(2)));
        Assert.Equal(0, table.Instrumented); // hooks go after the capture
        Assert.Equal(EscapeOutcome.Count, table.OnEscape("f", true, T0.AddMinutes(59)));
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("f", false, T0.AddMinutes(61)));
    }

    [Fact]
    public void At_most_the_limit_of_fingerprints_is_instrumented_at_once_and_expired_hooks_free_their_place()
    {
        var table = new FingerprintTable(Hour, maxInstrumented: 2);
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("a", false, T0));
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("b", false, T0.AddMinutes(30)));
        Assert.Equal(EscapeOutcome.Count, table.OnEscape("c", false, T0.AddMinutes(31)));
        Assert.Empty(table.Expire(T0.AddMinutes(59)));
        Assert.Equal(["a"], table.Expire(T0.AddMinutes(60))); // an hour without recurrence
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("c", false, T0.AddMinutes(61)));
        Assert.Equal(2, table.Instrumented);
    }

    [Fact]
    public void A_thousand_different_failures_stay_within_the_limits()
    {
        var table = new FingerprintTable(Hour, maxInstrumented: 100, maxEntries: 500, hookBurst: 1000);
        var outcomes = Enumerable.Range(0, 1000).Select(i => table.OnEscape("f" + i, false, T0)).ToList();
        Assert.Equal(100, outcomes.Count(o => o == EscapeOutcome.Instrument));
        Assert.Equal(100, table.Instrumented);
        // Every one of them now escapes again, captured: only the instrumented ones snapshot, once.
        var again = Enumerable.Range(0, 1000).Select(i => table.OnEscape("f" + i, true, T0.AddSeconds(1))).ToList();
        Assert.Equal(100, again.Count(o => o == EscapeOutcome.Snapshot));
    }

    [Fact]
    public void New_fingerprints_are_hooked_one_a_second_after_a_burst_and_a_clock_going_back_refills_nothing()
    {
        var table = new FingerprintTable(Hour);
        var first = Enumerable.Range(0, 1000).Select(i => table.OnEscape("a" + i, false, T0.AddMilliseconds(i / 2))).ToList();
        Assert.Equal(FingerprintTable.DefaultHookBurst, first.Count(o => o == EscapeOutcome.Instrument));
        // Five seconds later five more; one that was refused is hooked on a later escape (it is not forgotten).
        var later = Enumerable.Range(0, 1000).Select(i => table.OnEscape("a" + i, false, T0.AddSeconds(5.5))).ToList();
        Assert.Equal(5, later.Count(o => o == EscapeOutcome.Instrument));
        Assert.Equal(EscapeOutcome.Instrument, later[10]);
        Assert.Equal(EscapeOutcome.Count, table.OnEscape("b", false, T0)); // the clock went back: no token
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("b", false, T0.AddSeconds(6.6)));
        Assert.Equal(FingerprintTable.DefaultHookBurst + 6, table.Instrumented);
    }

    [Fact]
    public void An_abandoned_fingerprint_is_tried_again()
    {
        var table = new FingerprintTable(Hour);
        table.OnEscape("f", false, T0);
        table.Abandon("f");
        Assert.Equal(0, table.Instrumented);
        Assert.Equal(EscapeOutcome.Instrument, table.OnEscape("f", false, T0.AddSeconds(1)));
    }
}

public class EscapeDetectorTests
{
    private readonly List<(Exception Exception, IReadOnlyList<AppFrame> Frames)> _escapes = [];
    private readonly EscapeDetector _detector;
    private readonly AppCode _app = new(new FrameOptions());

    public EscapeDetectorTests() => _detector = Detector(-1);

    // A window of an hour: the budget never refills during a test, however slow the machine.
    private EscapeDetector Detector(int analysesPerSecond) =>
        new(_app, new PerSecondCap(analysesPerSecond, TimeSpan.FromHours(1)), (e, f) => _escapes.Add((e, f)));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string message) => throw new InvalidOperationException(message);

    private static Exception Caught(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            return e;
        }
        throw new InvalidOperationException("did not throw");
    }

    private void Raise(Exception e) => _detector.OnFirstChance(null, new FirstChanceExceptionEventArgs(e));

    [Fact]
    public void This_test_assembly_is_app_code_and_the_framework_is_not()
    {
        Assert.True(_app.Contains(typeof(EscapeDetectorTests).GetMethod(nameof(Fail), BindingFlags.NonPublic | BindingFlags.Static)));
        Assert.False(_app.Contains(typeof(Enumerable).GetMethod(nameof(Enumerable.ToList))));
        Assert.False(_app.Contains(typeof(object).GetMethod(nameof(ToString))));
        Assert.False(_app.Contains(typeof(EscapeDetector).GetMethod(nameof(EscapeDetector.OnFirstChance)))); // the agent
        Assert.False(_app.Contains(null));
    }

    [Fact]
    public void A_fresh_throw_is_only_remembered()
    {
        Raise(Caught(() => Fail("once")));
        Assert.Empty(_escapes);
    }

    [Fact]
    public void Raised_again_by_app_code_is_not_an_escape_and_by_framework_code_it_is()
    {
        var app = typeof(EscapeDetectorTests).GetMethod(nameof(Fail), BindingFlags.NonPublic | BindingFlags.Static);
        var edi = typeof(ExceptionDispatchInfo).GetMethod(nameof(ExceptionDispatchInfo.Throw), Type.EmptyTypes);
        var awaiter = typeof(TaskAwaiter).GetMethod(nameof(TaskAwaiter.GetResult));
        var linq = typeof(Enumerable).GetMethod(nameof(Enumerable.ToList));
        var agent = typeof(EscapeDetector).GetMethod(nameof(EscapeDetector.OnFirstChance));
        Assert.True(_detector.RaisedByApp([agent, edi, awaiter, app, linq])); // the app awaits: its own business
        Assert.False(_detector.RaisedByApp([agent, edi, awaiter, linq, app])); // a framework assembly awaits
        Assert.False(_detector.RaisedByApp([edi, awaiter])); // only the runtime: the thread pool's top
        Assert.False(_detector.RaisedByApp([null, edi]));
    }

    [Fact]
    public void An_exception_reaching_the_top_of_a_thread_escapes_once_with_its_app_frames_innermost_first()
    {
        var e = Caught(() => Fail("unhandled"));
        _detector.OnUnhandled(null, new UnhandledExceptionEventArgs(e, true));
        _detector.OnUnhandled(null, new UnhandledExceptionEventArgs(e, true));
        var (exception, frames) = Assert.Single(_escapes);
        Assert.Same(e, exception);
        Assert.Equal(nameof(Fail), frames[0].Method.Name);
        Assert.True(frames.Count >= 2); // Fail, the lambda, Caught
    }

    [Fact]
    public void An_exception_without_app_frames_never_escapes()
    {
        var e = Caught(() => _ = new List<int>()[3]);
        _detector.OnUnhandled(null, new UnhandledExceptionEventArgs(new Exception("never thrown"), true)); // no stack at all
        Assert.Empty(_escapes);
        Assert.NotNull(e);
    }

    [Fact]
    public void Beyond_the_budget_of_analyses_a_host_report_is_counted_not_examined()
    {
        var detector = Detector(2);
        var failures = Enumerable.Range(0, 5).Select(i => Caught(() => Fail("request " + i))).ToList();
        detector.OnHostSawEscape(failures[0]);
        detector.OnHostSawEscape(failures[0]); // known to have escaped: takes nothing
        detector.OnHostSawEscape(failures[1]);
        foreach (var e in failures.Skip(2)) detector.OnHostSawEscape(e);
        Assert.Equal([failures[0], failures[1]], _escapes.Select(x => x.Exception));
        Assert.Equal(3, detector.TakeNotAnalyzed());
        Assert.Equal(0, detector.TakeNotAnalyzed()); // reported once
        // The top of a thread is always examined: the process is going down.
        detector.OnUnhandled(null, new UnhandledExceptionEventArgs(failures[4], true));
        Assert.Same(failures[4], _escapes[^1].Exception);
    }

    [Fact]
    public void Beyond_the_budget_a_re_raise_is_not_walked_and_a_fresh_throw_never_takes_from_it()
    {
        var detector = Detector(1);
        var first = Caught(() => Fail("first"));
        var second = Caught(() => Fail("second"));
        detector.OnFirstChance(null, new FirstChanceExceptionEventArgs(first));
        detector.OnFirstChance(null, new FirstChanceExceptionEventArgs(second));
        Assert.Equal(0, detector.TakeNotAnalyzed()); // fresh throws: the ring only
        detector.OnFirstChance(null, new FirstChanceExceptionEventArgs(first)); // raised again by this test (app code): walked, no escape
        detector.OnFirstChance(null, new FirstChanceExceptionEventArgs(second)); // the budget is used up
        Assert.Equal(1, detector.TakeNotAnalyzed());
        detector.OnHostSawEscape(second); // and a host's report waits for the next second too
        Assert.Equal(1, detector.TakeNotAnalyzed());
        Assert.Empty(_escapes);
    }

    [Fact]
    public void A_budget_of_zero_examines_only_the_top_of_a_thread_and_no_limit_examines_everything()
    {
        var none = Detector(0);
        var e = Caught(() => Fail("none"));
        none.OnHostSawEscape(e);
        Assert.Empty(_escapes);
        Assert.Equal(1, none.TakeNotAnalyzed());
        var all = Detector(-1);
        var many = Enumerable.Range(0, 300).Select(i => Caught(() => Fail("many " + i))).ToList();
        foreach (var failure in many) all.OnHostSawEscape(failure);
        Assert.Equal(300, _escapes.Count);
        Assert.Equal(0, all.TakeNotAnalyzed());
    }

    [Fact]
    public void Many_other_throws_push_an_exception_out_of_the_ring()
    {
        var first = Caught(() => Fail("first"));
        Raise(first);
        for (var i = 0; i < EscapeDetector.RingSize; i++) Raise(new InvalidOperationException("other"));
        Raise(first); // not remembered any more: a fresh sighting, not checked
        Assert.Empty(_escapes);
    }
}

public class ExceptionReplaySettingsTests
{
    private static AgentSettings From(params (string Key, string Value)[] env) =>
        AgentSettings.FromEnvironment(env.ToDictionary(e => e.Key, e => (string?)e.Value));

    [Fact]
    public void On_by_default_once_an_hour_and_the_variables_can_change_that()
    {
        Assert.True(From().ExceptionReplay);
        Assert.Equal(TimeSpan.FromHours(1), From().ExceptionReplayInterval);
        Assert.False(From(("DEEP_EXCEPTION_REPLAY", "false")).ExceptionReplay);
        Assert.Equal(TimeSpan.FromSeconds(90), From(("DEEP_EXCEPTION_REPLAY_INTERVAL", "90")).ExceptionReplayInterval);
        Assert.Equal(100, From().ExceptionReplayAnalysesPerSecond);
        Assert.Equal(-1, From(("DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND", "-1")).ExceptionReplayAnalysesPerSecond);
        Assert.Equal(5000, From(("DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND", " 5000 ")).ExceptionReplayAnalysesPerSecond);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("-2")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public void A_bad_analysis_budget_keeps_the_default_with_a_warning(string value)
    {
        var s = From(("DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND", value));
        Assert.Equal(100, s.ExceptionReplayAnalysesPerSecond);
        Assert.Contains(s.Warnings, w => w.Contains("DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("DEEP_EXCEPTION_REPLAY", "maybe")]
    [InlineData("DEEP_EXCEPTION_REPLAY_INTERVAL", "0")]
    [InlineData("DEEP_EXCEPTION_REPLAY_INTERVAL", "an hour")]
    [InlineData("DEEP_EXCEPTION_REPLAY_INTERVAL", "-5")]
    public void A_bad_value_keeps_the_default_with_a_warning(string key, string value)
    {
        var s = From((key, value));
        Assert.True(s.ExceptionReplay);
        Assert.Equal(TimeSpan.FromHours(1), s.ExceptionReplayInterval);
        Assert.Contains(s.Warnings, w => w.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public void Switched_off_nothing_is_hooked_and_on_it_hooks_until_disposed()
    {
        var engine = new RecordingEngine();
        var off = Collected.Context(new Collected(), From(("DEEP_EXCEPTION_REPLAY", "false")));
        Assert.Null(ExceptionReplayService.StartWith(off, engine, ProbeRuntime.Table));
        Assert.False(ExceptionReplayService.IsHooked);
        // Only over the profiler's engine does the agent start it by itself.
        Assert.Null(ExceptionReplayService.Start(Collected.Context(new Collected(), From()), engine, ProbeRuntime.Table));

        var service = ExceptionReplayService.StartWith(Collected.Context(new Collected(), From()), engine, ProbeRuntime.Table);
        Assert.NotNull(service);
        Assert.True(ExceptionReplayService.IsHooked);
        service.Dispose();
        Assert.False(ExceptionReplayService.IsHooked);
    }

    [Fact]
    public void What_the_budget_refused_is_written_to_the_log_with_the_setting_to_change()
    {
        using var log = new SelfLogRecorder();
        var settings = From(("DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND", "0"));
        using var service = ExceptionReplayService.StartWith(Collected.Context(new Collected(), settings), new RecordingEngine(), ProbeRuntime.Table)!;
        for (var i = 0; i < 3; i++) service.Detector.OnHostSawEscape(new InvalidOperationException("refused " + i));
        service.ReportNotAnalyzed();
        var line = Assert.Single(log.Messages, m => m.Contains("were not examined", StringComparison.Ordinal));
        // At least these three: while the service is on, re-raises of tests running alongside are refused too.
        var count = long.Parse(line.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(count >= 3, line);
        Assert.Contains("budget of 0 a second, DEEP_EXCEPTION_REPLAY_ANALYSES_PER_SECOND", line, StringComparison.Ordinal);
    }

    private sealed class RecordingEngine : IInstrumentationEngine
    {
        public List<ProbeLocation> Installed { get; } = [];

        public void Install(ProbeLocation location) => Installed.Add(location);

        public void Remove(int probeId)
        {
        }
    }
}
