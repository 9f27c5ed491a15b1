using Deep.Protocol;

namespace Deep.Agent.Capture;

/// <summary>Collects the call stack above the probe, innermost first.</summary>
public static class FrameCollector
{
    /// <summary>The frames of the current thread's stack, skipping <paramref name="skipFrames"/> frames (the agent's own).</summary>
    public static List<StackFrame> Collect(int skipFrames, FrameOptions options) => throw new NotImplementedException();
}
