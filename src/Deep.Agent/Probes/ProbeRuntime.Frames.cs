using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Deep.Agent.Probes;

/// <summary>
/// The exit hooks' entry points (probe-abi.md §1, "Exit hooks"). A method with exit hooks calls <see cref="FrameEnter"/>
/// and <see cref="TimestampIf"/> (or <see cref="Timestamp"/>) on entry and <see cref="FrameExit"/> in a finally on every exit path. Spans started
/// in that frame (by <c>span=method</c> or <c>span=line</c>) live on the thread's span stack above the frame's mark:
/// <see cref="SpanEnd"/> stops a line's span after the line, and <see cref="FrameExit"/> stops whatever the frame left
/// open (a line that threw, a method span). None of these ever throws into the application.
/// </summary>
public static partial class ProbeRuntime
{
    [ThreadStatic] private static List<OpenSpan>? t_spans;

    /// <summary>A span started in an instrumented frame, with the <see cref="Activity.Current"/> to restore.</summary>
    private readonly record struct OpenSpan(Activity Activity, Activity? Previous, int ProbeId);

    /// <summary>Entry of a method with exit hooks: the frame's mark on the thread's span stack.</summary>
    public static int FrameEnter() => t_spans?.Count ?? 0;

    /// <summary>Every exit of a method with exit hooks (normal or exceptional): stops the spans the frame left open.</summary>
    public static void FrameExit(int mark)
    {
        var spans = t_spans;
        if (spans is null || spans.Count <= mark || mark < 0) return;
        StopDownTo(spans, mark);
    }

    /// <summary>After a <c>span=line</c> line: stops the span probe <paramref name="probeId"/> started in this frame.</summary>
    public static void SpanEnd(int mark, int probeId)
    {
        var spans = t_spans;
        if (spans is null || spans.Count <= mark || mark < 0) return;
        for (var i = mark; i < spans.Count; i++)
        {
            if (spans[i].ProbeId == probeId)
            {
                StopDownTo(spans, i);
                return;
            }
        }
    }

    /// <summary>A monotonic timestamp (<see cref="TimeProvider.System"/>'s) taken at entry for the <c>duration</c> slot.</summary>
    /// <remarks>The system provider read directly, not the table's: it is on the probe path, and the JIT turns this
    /// into the <see cref="Stopwatch"/> read it is (measured in docs/benchmarks.md).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Timestamp() => TimeProvider.System.GetTimestamp();

    /// <summary>
    /// The entry timestamp of a method whose one timed exit probe is <paramref name="probeId"/>: a <see cref="Timestamp"/>
    /// when the probe may fire now (the check <see cref="Enter"/> makes first), else 0, so that a call of a
    /// rate-limited method reads no clock. An unknown or unbound id answers 0. Never throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long TimestampIf(int probeId)
    {
        var armed = Volatile.Read(ref s_table).Armed(probeId);
        return armed is not null && armed.MayFire() ? TimeProvider.System.GetTimestamp() : 0;
    }

    /// <summary>The <c>duration</c> of a call that began while its exit probe could not fire (its start is 0).</summary>
    internal const long UnknownDuration = -1;

    /// <summary>
    /// Nanoseconds since <paramref name="start"/> (a <see cref="Timestamp"/>); <see cref="UnknownDuration"/> when
    /// <paramref name="start"/> is 0 (<see cref="TimestampIf"/> refused): <see cref="Fire"/> then skips the hit.
    /// </summary>
    public static long ElapsedNanos(long start)
    {
        if (start == 0) return UnknownDuration;
        var time = TimeProvider.System;
        var ticks = time.GetTimestamp() - start;
        return ticks <= 0 ? 0 : (long)(ticks * (1_000_000_000.0 / time.TimestampFrequency));
    }

    /// <summary>A span action: keep <paramref name="activity"/> open until its line or frame ends on this thread.</summary>
    internal static void PushSpan(Activity activity, Activity? previous, int probeId) =>
        (t_spans ??= new List<OpenSpan>(4)).Add(new OpenSpan(activity, previous, probeId));

    /// <summary>How many spans are open on this thread (tests).</summary>
    internal static int OpenSpanCount => t_spans?.Count ?? 0;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void StopDownTo(List<OpenSpan> spans, int index)
    {
        // Stopping runs ActivityListener callbacks: they must not see probes fire on this thread.
        t_busy++;
        try
        {
            for (var i = spans.Count - 1; i >= index; i--)
            {
                var open = spans[i];
                spans.RemoveAt(i);
                try
                {
                    open.Activity.Stop();
                }
                catch (Exception e)
                {
                    ReportError(null, $"stopping span '{open.Activity.DisplayName}' failed: {e.Message}");
                }
                finally
                {
                    try
                    {
                        Activity.Current = open.Previous;
                    }
                    catch
                    {
                        // restoring the ambient activity must not reach the application
                    }
                }
            }
        }
        catch (Exception e)
        {
            ReportError(null, $"stopping spans failed: {e.Message}");
        }
        finally
        {
            t_busy--;
        }
    }
}
