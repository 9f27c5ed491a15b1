using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Deep.Agent.Probes;

/// <summary>
/// Awaited outcomes (docs/method-tracepoints.md, "async methods"): the exit probe of a method that returns a task
/// reports what awaiting the task gives (its result, the exception that faulted it, the time until it completed),
/// not the task object. A task not completed at exit defers the actions (conditions included) to a continuation;
/// the values of <c>this</c> and the arguments are the ones at exit.
/// </summary>
public static partial class ProbeRuntime
{
    private static readonly Action<Task, object?> s_onAwaited = OnAwaited;

    /// <summary>
    /// At most this many exits wait for their tasks at once, over all probes: each holds a copy of its values until
    /// its task completes, and an application with many slow calls in flight must not make the agent grow with them.
    /// An exit over the limit is dropped (counted as a dropped snapshot in the agent's diagnostics).
    /// </summary>
    internal const int MaxPendingOutcomes = 1024;

    private static int s_pendingOutcomes;

    /// <summary>How many exits are waiting for their tasks now.</summary>
    internal static int PendingOutcomes => Volatile.Read(ref s_pendingOutcomes);

    /// <summary>
    /// At an awaitable exit probe: turns the returned task into the awaited outcome in place (already completed, so
    /// the caller runs the actions now; false) or defers the actions to the task's completion (true). False and
    /// untouched values (today's behaviour) when the method threw, returned null, or returned a ValueTask backed by
    /// an IValueTaskSource.
    /// </summary>
    private static bool AwaitOutcome(ProbeTable table, int probeId, AwaitShape shape, HitState values)
    {
        if (values.GetBoxed(shape.ExceptionSlot) is not null) return false;
        if (values.GetBoxed(shape.ReturnSlot) is not { } returned) return false;
        if (!TaskOutcome.TryUnwrap(returned, out var task, out var result)) return false;
        if (task is null)
        {
            // A ValueTask that completed synchronously with its value.
            if (shape.ResultType is null) values.Forget(shape.ReturnSlot);
            else values.StoreObject(result, shape.ReturnSlot);
            return false;
        }
        if (task.IsCompleted)
        {
            SetOutcome(shape, values, task);
            return false;
        }
        if (Interlocked.Increment(ref s_pendingOutcomes) > MaxPendingOutcomes)
        {
            Interlocked.Decrement(ref s_pendingOutcomes);
            Deep.Agent.Diagnostics.SelfLog.SnapshotDropped($"probe {probeId}: {MaxPendingOutcomes} calls are already waiting for their tasks to complete");
            return true;
        }
        var pending = new PendingOutcome(probeId, shape, values.Detach(), TimeProvider.System.GetTimestamp(), Thread.CurrentThread);
        try
        {
            // ContinueWith with the default scheduler: never posts to the application's SynchronizationContext, and
            // it flows the ExecutionContext of the exit, so Activity.Current (the snapshot's trace and span) is the
            // one the method was called under. The continuation task it returns is referenced by the task only.
            task.ContinueWith(s_onAwaited, pending, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch (Exception e)
        {
            Interlocked.Decrement(ref s_pendingOutcomes);
            pending.Values.Clear();
            table.Report(null, $"probe {probeId}: waiting for the returned task failed: {e.Message}");
        }
        return true;
    }

    private static void SetOutcome(AwaitShape shape, HitState values, Task task)
    {
        if (task.Status == TaskStatus.RanToCompletion)
        {
            if (shape.ResultType is null) values.Forget(shape.ReturnSlot);
            else values.StoreObject(TaskOutcome.ResultOf(task), shape.ReturnSlot);
            return;
        }
        values.Forget(shape.ReturnSlot);
        values.StoreObject(TaskOutcome.ExceptionOf(task), shape.ExceptionSlot);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OnAwaited(Task task, object? state)
    {
        if (state is not PendingOutcome pending) return;
        Interlocked.Decrement(ref s_pendingOutcomes);
        t_busy++;
        var table = Volatile.Read(ref s_table);
        try
        {
            var probeId = pending.ProbeId;
            var armed = table.Armed(probeId);
            // The tracepoint went or was re-armed against another layout since the exit: nothing to run.
            if (armed is null || !ReferenceEquals(armed.Layout, pending.Values.Layout)) return;
            var values = pending.Values;
            SetOutcome(pending.Shape, values, task);
            if (pending.Shape.DurationSlot >= 0 && values.Has(pending.Shape.DurationSlot))
            {
                var atExit = values.Get<long>(pending.Shape.DurationSlot);
                values.Store(atExit + ElapsedNanos(pending.ExitTimestamp), pending.Shape.DurationSlot);
            }
            // Limits are checked and taken now, so a tracepoint never fires more often than its fire_count however many
            // calls were waiting.
            table.RunActions(probeId, armed, values, pending.ExitThread);
        }
        catch (Exception e)
        {
            table.Report(null, $"probe {pending.ProbeId} failed when its task completed: {e.Message}");
        }
        finally
        {
            pending.Values.Clear();
            t_busy--;
        }
    }

    /// <summary>An exit whose task had not completed: its values (detached from the thread) until it does.</summary>
    private sealed record PendingOutcome(int ProbeId, AwaitShape Shape, HitState Values, long ExitTimestamp, Thread ExitThread);
}
