using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;

namespace Deep.Agent.Tests.Probes;

// The exit probe of a method returning a task reports the awaited outcome (docs/method-tracepoints.md, "async
// methods"), driven by hand as the exit hooks' IL does: slots this, return, exception, duration.
public sealed class AwaitedOutcomeTests
{
    private sealed record Seen(bool HasReturn, object? Return, object? Exception, long Duration, bool Awaited, Thread Thread, int OnThread, object? This, Activity? Activity);

    private static ProbeFrameLayout ExitLayout(Type returnType) => new(
        [
            new ProbeSlot("this", typeof(string), SlotKind.This),
            new ProbeSlot("return", returnType, SlotKind.Return),
            new ProbeSlot("exception", typeof(Exception), SlotKind.Exception),
            new ProbeSlot("duration", typeof(long), SlotKind.Duration),
        ],
        MethodBase.GetCurrentMethod()!, "/src/Shop/OrderService.cs", 42, 0, []);

    private sealed class Probe
    {
        public readonly List<Seen> Seen = [];
        public readonly SemaphoreSlim Fired = new(0);
        public int Id;
        public RecordingAction Action = null!;

        public Seen Single(int timeoutMs = 10_000)
        {
            Assert.True(Fired.Wait(timeoutMs), "the action did not run");
            lock (Seen) return Assert.Single(Seen);
        }
    }

    private static Probe Arm(Type returnType, string? condition = null, int fireCount = -1)
    {
        var probe = new Probe { Id = ProbeTestSupport.NewProbeId() };
        var layout = ExitLayout(returnType);
        Func<HitState, bool>? compiled = null;
        if (condition is not null)
        {
            var expression = ExpressionCompiler.Compile<HitState>(condition, new ProbeScope(layout));
            Assert.True(expression.Error is null, expression.Error);
            compiled = h => expression.EvaluateCondition(h, out _);
        }
        probe.Action = new RecordingAction(new RateLimiter(fireCount, 0, null, null), compiled, h =>
        {
            var v = h.Values;
            lock (probe.Seen)
                probe.Seen.Add(new Seen(v.Has(1), v.GetBoxed(1), v.GetBoxed(2), v.Get<long>(3), h.Awaited, h.Thread, Environment.CurrentManagedThreadId, v.GetBoxed(0), Activity.Current));
            probe.Fired.Release();
        });
        ProbeRuntime.Table.SetActions(probe.Id, [probe.Action]);
        ProbeRuntime.Table.Bind(probe.Id, layout);
        return probe;
    }

    // What the exit hooks do when the method returns `returned` after `durationNanos`.
    private static void Exit<T>(Probe probe, T returned, long durationNanos = 1_000)
    {
        Assert.True(ProbeRuntime.Enter(probe.Id));
        ProbeRuntime.Value("self", 0);
        ProbeRuntime.Value(returned, 1);
        ProbeRuntime.ValueObject(null, 2);
        ProbeRuntime.Value(durationNanos, 3);
        ProbeRuntime.Fire(probe.Id);
    }

    [Fact]
    public void A_task_completed_at_exit_reports_its_result_at_once_on_the_method_s_thread()
    {
        var probe = Arm(typeof(Task<int>));
        Exit(probe, Task.FromResult(42), 5_000);

        var seen = probe.Single(0);
        Assert.True(seen.HasReturn);
        Assert.Equal(42, seen.Return);
        Assert.Null(seen.Exception);
        Assert.Equal(5_000, seen.Duration);
        Assert.False(seen.Awaited);
        Assert.Equal(Environment.CurrentManagedThreadId, seen.OnThread);
    }

    [Fact]
    public void A_task_completing_later_defers_the_action_until_it_completes_and_the_duration_runs_to_completion()
    {
        var probe = Arm(typeof(Task<string>));
        var source = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Exit(probe, source.Task, 1_000);
        Assert.Empty(probe.Seen);

        Thread.Sleep(30);
        source.SetResult("done");

        var seen = probe.Single();
        Assert.Equal("done", seen.Return);
        Assert.Null(seen.Exception);
        Assert.True(seen.Duration >= 1_000 + 25_000_000, $"duration {seen.Duration}");
        Assert.True(seen.Awaited);
        Assert.Same(Thread.CurrentThread, seen.Thread); // the thread the method returned on
        Assert.Equal("self", seen.This);                 // this/arguments as they were at exit
    }

    [Fact]
    public async Task A_deferred_action_sees_the_activity_of_the_call_and_never_posts_to_the_application_s_synchronization_context()
    {
        var probe = Arm(typeof(Task<int>));
        var source = new TaskCompletionSource<int>();
        var context = new CountingContext();
        var previousContext = SynchronizationContext.Current;
        using var activity = new Activity("caller").Start();
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            Exit(probe, source.Task);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
            activity.Stop();
        }
        Assert.Null(Activity.Current);

        // Completed from another thread, under another activity: the action still sees the caller's.
        await Task.Run(() =>
        {
            using var other = new Activity("completer").Start();
            source.SetResult(3);
        });

        var seen = probe.Single();
        Assert.Same(activity, seen.Activity);
        Assert.Equal(0, context.Posts);
    }

    private sealed class CountingContext : SynchronizationContext
    {
        public int Posts;

        public override void Post(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref Posts);
            base.Post(d, state);
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            Interlocked.Increment(ref Posts);
            base.Send(d, state);
        }
    }

    [Fact]
    public void A_non_generic_task_has_no_return_and_a_faulted_one_reports_its_exception()
    {
        var ok = Arm(typeof(Task));
        Exit(ok, Task.CompletedTask);
        var seen = ok.Single(0);
        Assert.False(seen.HasReturn);
        Assert.Null(seen.Exception);

        var failing = Arm(typeof(Task));
        var boom = new InvalidOperationException("boom");
        var source = new TaskCompletionSource();
        Exit(failing, source.Task);
        source.SetException(boom);
        var failed = failing.Single();
        Assert.False(failed.HasReturn);
        Assert.Same(boom, failed.Exception);
    }

    [Fact]
    public async Task A_faulted_task_s_exception_is_reported_and_stays_unobserved()
    {
        var marker = "unobserved-" + Guid.NewGuid();
        var raised = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            if (e.Exception.InnerExceptions.Any(x => x.Message == marker)) raised.TrySetResult(e.Exception.InnerExceptions[0]);
        };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            var probe = Arm(typeof(Task<int>));
            StartAndForget(probe, marker);
            var seen = probe.Single();
            Assert.True(seen.Awaited);
            var reported = Assert.IsType<InvalidOperationException>(seen.Exception);
            Assert.Equal(marker, reported.Message);
            Assert.False(seen.HasReturn);

            // The task is unreachable now: its exception was never observed, so the runtime still raises the event.
            for (var i = 0; i < 50 && !raised.Task.IsCompleted; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await Task.WhenAny(raised.Task, Task.Delay(100));
            }
            Assert.True(raised.Task.IsCompleted, "UnobservedTaskException was not raised: the agent observed the exception");
            Assert.Same(reported, await raised.Task);
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StartAndForget(Probe probe, string message) => Exit(probe, FailsAfterAwait(message));

    private static async Task<int> FailsAfterAwait(string message)
    {
        await Task.Delay(20).ConfigureAwait(false);
        throw new InvalidOperationException(message);
    }

    [Fact]
    public void A_cancelled_task_reports_the_OperationCanceledException_that_cancelled_it()
    {
        var probe = Arm(typeof(Task<int>));
        using var cts = new CancellationTokenSource();
        var task = CancelsAfterAwait(cts.Token);
        Exit(probe, task);
        cts.Cancel();

        var seen = probe.Single();
        var exception = Assert.IsAssignableFrom<OperationCanceledException>(seen.Exception);
        Assert.Equal(cts.Token, exception.CancellationToken);
        Assert.False(seen.HasReturn);
        Assert.True(task.IsCanceled);

        // A task cancelled without an exception (Task.FromCanceled) reports what await would throw.
        var fromCanceled = Arm(typeof(Task));
        Exit(fromCanceled, Task.FromCanceled(cts.Token));
        Assert.IsType<TaskCanceledException>(fromCanceled.Single(0).Exception);
    }

    private static async Task<int> CancelsAfterAwait(CancellationToken token)
    {
        await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
        return 1;
    }

    [Fact]
    public void A_value_task_over_a_result_or_over_a_task_reports_the_awaited_value()
    {
        var direct = Arm(typeof(ValueTask<int>));
        Exit(direct, new ValueTask<int>(7));
        Assert.Equal(7, direct.Single(0).Return);

        var overTask = Arm(typeof(ValueTask<int>));
        var source = new TaskCompletionSource<int>();
        Exit(overTask, new ValueTask<int>(source.Task));
        source.SetResult(8);
        var seen = overTask.Single();
        Assert.Equal(8, seen.Return);
        Assert.True(seen.Awaited);

        var plain = Arm(typeof(ValueTask));
        Exit(plain, ValueTask.CompletedTask);
        Assert.False(plain.Single(0).HasReturn);
    }

    [Fact]
    public async Task A_value_task_backed_by_an_IValueTaskSource_is_not_touched_and_reported_as_returned()
    {
        var probe = Arm(typeof(ValueTask<int>));
        var source = new CountingSource();
        var valueTask = new ValueTask<int>(source, 0);
        Exit(probe, valueTask);

        var seen = probe.Single(0);
        Assert.False(seen.Awaited);
        Assert.True(seen.Return is ValueTask<int>, $"return is {seen.Return?.GetType()}");
        Assert.Equal(0, source.Calls);

        // The application awaits it once, as it may.
        source.Core.SetResult(9);
        Assert.Equal(9, await valueTask);
    }

    private sealed class CountingSource : IValueTaskSource<int>
    {
        public ManualResetValueTaskSourceCore<int> Core;
        public int Calls;

        public int GetResult(short token)
        {
            Calls++;
            return Core.GetResult(token);
        }

        public ValueTaskSourceStatus GetStatus(short token)
        {
            Calls++;
            return Core.GetStatus(token);
        }

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            Calls++;
            Core.OnCompleted(continuation, state, token, flags);
        }
    }

    [Fact]
    public void A_condition_on_the_outcome_is_evaluated_on_the_awaited_result_and_exception()
    {
        var failures = Arm(typeof(Task<int>), "exception != null");
        var big = Arm(typeof(Task<int>), "return > 10");

        foreach (var probe in new[] { failures, big })
        {
            var ok = new TaskCompletionSource<int>();
            var bad = new TaskCompletionSource<int>();
            Exit(probe, ok.Task);
            Exit(probe, bad.Task);
            ok.SetResult(11);
            bad.SetException(new InvalidOperationException("no"));
        }

        var failed = failures.Single();
        Assert.IsType<InvalidOperationException>(failed.Exception);
        Assert.Equal(11, big.Single().Return);
        Assert.False(failures.Fired.Wait(50));
        Assert.False(big.Fired.Wait(50));
    }

    [Fact]
    public void Deferred_hits_never_fire_more_often_than_the_fire_count()
    {
        var probe = Arm(typeof(Task<int>), fireCount: 1);
        var sources = Enumerable.Range(0, 5).Select(_ => new TaskCompletionSource<int>()).ToArray();
        foreach (var source in sources) Exit(probe, source.Task); // all wait: the limit is taken at completion
        for (var i = 0; i < sources.Length; i++) sources[i].SetResult(i);

        Assert.Equal(0, probe.Single().Return);
        Assert.False(probe.Fired.Wait(100));
        Assert.Equal(1, probe.Action.Limiter.FireCount);
    }

    [Fact]
    public void At_most_MaxPendingOutcomes_exits_wait_for_their_tasks_and_the_ones_over_it_are_dropped()
    {
        var probe = Arm(typeof(Task<int>));
        var total = ProbeRuntime.MaxPendingOutcomes + 50;
        var sources = Enumerable.Range(0, total).Select(_ => new TaskCompletionSource<int>()).ToArray();
        foreach (var source in sources) Exit(probe, source.Task);
        Assert.Equal(ProbeRuntime.MaxPendingOutcomes, ProbeRuntime.PendingOutcomes); // never more, whoever else waits
        foreach (var source in sources) source.SetResult(1);

        int fired;
        lock (probe.Seen) fired = probe.Seen.Count;
        Assert.InRange(fired, 1, ProbeRuntime.MaxPendingOutcomes); // continuations ran synchronously on SetResult
        Assert.True(fired < total, "the exits over the limit were dropped");

        // Completed tasks free their places: the next exit waits again.
        var later = new TaskCompletionSource<int>();
        Exit(probe, later.Task);
        later.SetResult(7);
        Assert.Contains(7, probe.Seen.Select(s => s.Return));
    }

    [Fact]
    public void A_probe_removed_before_the_task_completes_does_not_fire()
    {
        var probe = Arm(typeof(Task<int>));
        var source = new TaskCompletionSource<int>();
        Exit(probe, source.Task);
        ProbeRuntime.Table.Remove(probe.Id);
        source.SetResult(1);
        Assert.False(probe.Fired.Wait(100));
    }

    [Fact]
    public void A_condition_naming_return_of_a_Task_method_does_not_compile_and_return_is_the_result_type_for_Task_of_T()
    {
        Assert.NotNull(ExpressionCompiler.Compile<HitState>("return != null", new ProbeScope(ExitLayout(typeof(Task)))).Error);
        Assert.Null(ExpressionCompiler.Compile<HitState>("return == 3", new ProbeScope(ExitLayout(typeof(ValueTask<int>)))).Error);
        Assert.Null(ExpressionCompiler.Compile<HitState>("return.Length == 3", new ProbeScope(ExitLayout(typeof(Task<string>)))).Error);
    }

    // Another runtime may name or shape Task's private exception fields differently: the outcome then says so in the
    // snapshot ("[not readable: ...]") instead of calling anything that would observe the fault.
    [Fact]
    public void A_faulted_task_on_a_runtime_without_the_expected_fields_reports_why_its_exception_is_not_readable()
    {
        var faulted = Task.FromException(new InvalidOperationException("boom"));
        var runtime = TaskOutcome.TaskFields.Runtime;
        Assert.NotNull(runtime.Contingent);
        Assert.NotNull(runtime.Holder);
        Assert.NotNull(runtime.Faults);
        Assert.Equal("boom", TaskOutcome.ExceptionOf(faulted, runtime)!.Message);

        var noHolder = Assert.IsType<NotReadableException>(TaskOutcome.ExceptionOf(faulted, runtime with { Holder = null }));
        Assert.Equal("[not readable: this runtime's Task has no exception holder field]", noHolder.Text);

        var noFaultList = Assert.IsType<NotReadableException>(TaskOutcome.ExceptionOf(faulted, runtime with { Faults = null }));
        Assert.Equal("[not readable: this runtime's TaskExceptionHolder has no fault list]", noFaultList.Text);

        // A field of that name on another type: reflection refuses to read it from a Task, and that is the reason shown.
        var foreign = typeof(Uri).GetField("_string", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var misshapen = Assert.IsType<NotReadableException>(TaskOutcome.ExceptionOf(faulted, runtime with { Contingent = foreign }));
        Assert.StartsWith("[not readable: ", misshapen.Text);
        Assert.Contains("Uri", misshapen.Message);

        // A cancelled task still reports what await would throw, and a completed one has no exception.
        Assert.IsType<TaskCanceledException>(TaskOutcome.ExceptionOf(Task.FromCanceled(new CancellationToken(true)), runtime with { Holder = null }));
        Assert.Null(TaskOutcome.ExceptionOf(Task.CompletedTask, runtime with { Contingent = null }));
    }
}
