// Also compiled into the profiler's test stand-in for the agent (tests/TestApps/ProbeRecorder), which links the
// agent's probe contract: keep this file free of other types.
namespace Deep.Tracepoints;

/// <summary>Where a tracepoint's actions run (the <c>stage</c> argument), and so where its probe goes.</summary>
internal enum TracepointStage
{
    /// <summary><c>line_start</c>: before the line (the default of a line tracepoint).</summary>
    LineStart,
    /// <summary><c>line_end</c>: after the line.</summary>
    LineEnd,
    /// <summary><c>line_capture</c>: after the line, with its outcome.</summary>
    LineCapture,
    /// <summary><c>method_start</c>: at method entry (the default of a method tracepoint).</summary>
    MethodStart,
    /// <summary><c>method_end</c>: at method exit.</summary>
    MethodEnd,
    /// <summary><c>method_capture</c>: at method exit, with return value or exception and duration.</summary>
    MethodCapture,
}
