using System.Runtime.CompilerServices;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using StackFrame = Deep.Protocol.StackFrame;

namespace Deep.Agent.Capture;

/// <summary>
/// The frames of a snapshot taken at a probe, innermost first: the probed frame as the engine resolved it, then its
/// callers from a stack walk.
/// </summary>
internal static class ProbedStack
{
    // Frames above the probed method on this path: Collect, SnapshotAction.Process, ProbeRuntime.RunActions,
    // ProbeRuntime.Fire.
    private const int AgentFrames = 4;

    /// <summary>
    /// The frames of a hit, collected on the thread that hit the probe (called straight from the action's
    /// <c>Process</c>: the agent frames skipped are counted from here). Never throws: a failed walk leaves the
    /// probed frame alone, with <paramref name="error"/> saying why.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static List<StackFrame> Collect(Hit hit, FrameOptions options, out string? error)
    {
        error = null;
        // The probed frame is described by the layout the engine resolved (the file and the line actually probed,
        // the source method behind a state machine), so stack_type=no_stack needs no stack walk at all: a walk
        // with file information reads PDBs and is the most expensive part of a small snapshot.
        var probed = ProbedFrame(hit.Layout, options);
        if (!options.IncludeStack) return [probed];
        List<StackFrame> frames;
        try
        {
            frames = FrameCollector.Collect(AgentFrames, options);
            // Should inlining have changed the frame count, cut whatever agent frames are left above the probe.
            var skip = 0;
            while (skip < frames.Count && IsAgentFrame(frames[skip])) skip++;
            frames.RemoveRange(0, skip);
            if (InFilter(hit)) SkipExceptionDispatch(frames);
        }
        catch (Exception e)
        {
            error = $"stack could not be collected: {e.Message}";
            frames = [];
        }
        if (frames.Count == 0) frames.Add(probed);
        else frames[0] = probed;
        return frames;
    }

    /// <summary>The probed frame, from the layout the engine resolved.</summary>
    public static StackFrame ProbedFrame(ProbeFrameLayout layout, FrameOptions options)
    {
        var (method, declaring, isAsync) = FrameCollector.Describe(layout.Method);
        var file = layout.FilePath ?? "";
        return new StackFrame
        {
            FileName = file,
            LineNumber = (uint)Math.Max(layout.LineUsed, 0),
            MethodName = method,
            ClassName = declaring is null ? null : CSharpTypeNames.FullNameOf(declaring),
            IsAsync = isAsync,
            AppFrame = FrameCollector.IsAppFrame(declaring, file, options),
            ShortPath = FrameCollector.ShortPath(file, options.AppRoot),
        };
    }

    /// <summary>
    /// A line_capture hit with an exception ran in the line's exception filter (a method's exit probes run in a
    /// finally, after unwinding, and line probes in the code itself).
    /// </summary>
    private static bool InFilter(Hit hit)
    {
        var layout = hit.Layout;
        if (layout.MethodSignature is not null) return false;
        for (var i = 0; i < layout.Slots.Count; i++)
        {
            if (layout.Slots[i].Kind == SlotKind.Exception) return hit.Values.Has(i) && hit.Values.GetBoxed(i) is not null;
        }
        return false;
    }

    /// <summary>
    /// A probe that runs in an exception filter is called by the runtime's exception dispatch, from the filter's own
    /// frame, before anything unwinds: the walk reads the probed method (the filter), the dispatch (System.Runtime.EH,
    /// its interop stubs), the methods the exception came up through, the probed method again (the frame the
    /// exception is leaving), its callers. The snapshot shows the frame once, then its callers, as for any other hit.
    /// (Should the line have called the probed method recursively, its deeper activation is taken for the frame.)
    /// </summary>
    internal static void SkipExceptionDispatch(List<StackFrame> frames)
    {
        if (frames.Count < 2) return;
        int next = 1;
        while (next < frames.Count && !(frames[next].ClassName == frames[0].ClassName && frames[next].MethodName == frames[0].MethodName)) next++;
        if (next == frames.Count)
        {
            // The frame itself was not found: leave out the dispatch only.
            frames.RemoveAll(IsExceptionDispatch);
            return;
        }
        frames.RemoveRange(1, next);
    }

    private static bool IsExceptionDispatch(StackFrame frame) =>
        frame.ClassName is { } c && (c == "System.Runtime.EH" || c.StartsWith("System.Runtime.EH.", StringComparison.Ordinal))
        || frame.MethodName?.StartsWith("Rhp", StringComparison.Ordinal) == true;

    private static bool IsAgentFrame(StackFrame frame) =>
        frame.ClassName is { } c && (c.StartsWith("Deep.Agent.Probes.", StringComparison.Ordinal)
            || c.StartsWith("Deep.Agent.Actions.", StringComparison.Ordinal)
            || c.StartsWith("Deep.Agent.Capture.", StringComparison.Ordinal));
}
