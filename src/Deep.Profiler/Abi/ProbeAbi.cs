// The probe ABI: what crosses the C ABI between the agent (src/Deep.Agent/Native/ProfilerBridge.cs) and the profiler
// (src/Deep.Profiler/Exports/NativeExports.cs). This one file is compiled into both (a linked <Compile>), so the two
// sides cannot disagree on a number. docs/design/probe-abi.md describes it; change the three together and bump
// ProbeAbi.Version when a layout or a meaning changes.
using System.Runtime.InteropServices;

namespace Deep.Abi;

/// <summary>The ABI's identity: its version and the profiler's CLSID.</summary>
internal static class ProbeAbi
{
    /// <summary>
    /// The version both sides speak; the bridge refuses a profiler that reports another (<c>deep_profiler_get_info</c>).
    /// 5: <c>deep_set_method_probes</c> answers a refusal as a <see cref="ProbeRefusal"/> instead of prose.
    /// 6: insertion kind 5, an exit probe that runs only when an exception leaves the method.
    /// </summary>
    public const int Version = 6;

    /// <summary>The profiler's CLSID: what <c>CORECLR_PROFILER</c> must be set to.</summary>
    public const string ProfilerClsid = "{8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}";
}

/// <summary>What an insertion is (<see cref="NativeInsertion.Kind"/>).</summary>
internal enum InsertionKind
{
    /// <summary>A probe before the instruction at the IL offset.</summary>
    Probe = 0,
    /// <summary>A probe in the method's exit hooks (their finally): every exit path, with return value, exception and duration slots.</summary>
    Exit = 1,
    /// <summary>Not a probe: stops the spans probe <c>ProbeId</c> started in this frame, before the IL offset (end of a line).</summary>
    SpanEnd = 2,
    /// <summary>Not a probe: the method gets exit hooks (spans started in it stop when it exits).</summary>
    FrameHooks = 3,
    /// <summary>
    /// A line capture: the line from the IL offset to <see cref="NativeInsertion.EndILOffset"/> is wrapped in a try with
    /// a filter; the probe runs when the line completes and when an exception leaves it, with exception and duration slots.
    /// </summary>
    LineCapture = 4,
    /// <summary>
    /// An exit probe (as <see cref="Exit"/>) that runs only when an exception leaves the method: a normal return skips
    /// it with one branch on the exit hooks' exception local (Exception Replay's frame hooks).
    /// </summary>
    ExitOnException = 5,
}

/// <summary>What a probe slot holds (<see cref="SlotSource.Kind"/>).</summary>
internal enum SlotKind
{
    /// <summary><c>this</c> (IL argument 0 of an instance method; a byref for a struct).</summary>
    This = 0,
    /// <summary>A method argument, by IL number (0 is <c>this</c> in instance methods).</summary>
    Argument = 1,
    /// <summary>A local variable, by slot.</summary>
    Local = 2,
    /// <summary>The method's return value (exit probes; default on an exceptional exit).</summary>
    Return = 3,
    /// <summary>The exception leaving the method or line, or null (exit probes and line captures).</summary>
    Exception = 4,
    /// <summary>Nanoseconds from method entry (or line start) to exit, as <c>long</c> (exit probes and line captures).</summary>
    Duration = 5,
}

/// <summary>The state of a method's rewritten code (<c>deep_get_method_status</c>).</summary>
internal enum MethodState
{
    /// <summary>The profiler has no record of the method.</summary>
    Unknown = 0,
    /// <summary>ReJIT was requested; the new body is used from the method's next call.</summary>
    Requested = 1,
    /// <summary>The runtime took the rewritten body (GetReJITParameters ran) and every compiled copy runs it.</summary>
    Active = 2,
    /// <summary>Building or installing the body failed; the original code runs.</summary>
    Failed = 3,
    /// <summary>The probes were removed and the original code restored.</summary>
    Reverted = 4,
    /// <summary>
    /// Never sent: the bridge's reading of state 1 with HRESULT S_FALSE. The runtime took the body, but a compiled
    /// copy of the method (a generic instantiation) has no code for it yet: not called since the request, or it kept
    /// its old code (docs/line-tracepoints.md, "When the new code runs").
    /// </summary>
    Partial = 100,
}

/// <summary>One insertion of <c>deep_set_method_probes</c>: its slots are <c>slots[SlotStart .. SlotStart+SlotCount)</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeInsertion
{
    /// <summary>The id the rewritten IL passes to the probe runtime (for a span end: the span's probe).</summary>
    public int ProbeId;
    /// <summary>The original IL offset of the instruction the code goes before (ignored by exit probes and frame hooks).</summary>
    public int ILOffset;
    /// <summary>The first of this insertion's slots.</summary>
    public int SlotStart;
    /// <summary>How many slots it has.</summary>
    public int SlotCount;
    /// <summary>What the insertion is.</summary>
    public InsertionKind Kind;
    /// <summary><see cref="InsertionKind.LineCapture"/> only: the after-line offset (where the next sequence point begins); 0 otherwise.</summary>
    public int EndILOffset;
}

/// <summary>Where a slot's value comes from: <paramref name="Index"/> is the IL argument number or local slot (unused for return, exception, duration).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct SlotSource(SlotKind Kind, int Index);

/// <summary>
/// Why the profiler would not rewrite a method, as a code the agent turns into the message users read (one place:
/// src/Deep.Agent/Instrumentation/ProbeRefusals.cs). The offsets are original IL offsets; which fields are set depends on the code.
/// </summary>
internal enum RefusalCode
{
    /// <summary>Not refused.</summary>
    None = 0,
    /// <summary>Anything without a code of its own (malformed IL or metadata, a bad request, a failed profiling-API call): the text says what.</summary>
    Other = 1,
    /// <summary>The method's module cannot be instrumented (System.Private.CoreLib, the agent, no file, collectible): the text names it.</summary>
    ModuleNotInstrumentable = 2,

    /// <summary>A line capture's line lies inside an exception filter (a <c>when</c> clause).</summary>
    LineInFilter = 10,
    /// <summary>
    /// A line capture's line partly overlaps a block of a try statement: <see cref="ProbeRefusal.ILOffset"/> to
    /// <see cref="ProbeRefusal.OtherILOffset"/> is the block, <see cref="ProbeRefusal.Count"/> its <see cref="TryBlockKind"/>.
    /// </summary>
    LinePartlyOverlapsBlock = 11,
    /// <summary>A line capture's line holds part of a try statement: <c>ILOffset</c> its try, <c>OtherILOffset</c> its handler.</summary>
    LineHoldsPartOfTry = 12,
    /// <summary>
    /// A line capture's line holds an instruction that cannot be in a protected region: at <c>ILOffset</c>, the opcode
    /// in <c>Count</c> (<c>ret</c> 0x2A, <c>jmp</c> 0x27, <c>tail.</c> 0xFE14, <c>endfinally</c> 0xDC, <c>endfilter</c> 0xFE11).
    /// </summary>
    LineHasExitInstruction = 13,
    /// <summary>A line capture's line is entered in the middle: the instruction at <c>ILOffset</c> jumps to <c>OtherILOffset</c>.</summary>
    LineEnteredInMiddle = 14,
    /// <summary>The evaluation stack holds <c>Count</c> value(s) at the line's first instruction.</summary>
    LineStartsWithStack = 15,
    /// <summary>The instruction at <c>ILOffset</c> leaves the line with <c>Count</c> value(s) on the evaluation stack.</summary>
    LineLeavesWithStack = 16,
    /// <summary>Two line captures overlap: the line and <c>ILOffset</c> to <c>OtherILOffset</c>.</summary>
    LinesOverlap = 17,

    /// <summary>The method uses <c>jmp</c> (at <c>ILOffset</c>): exit hooks cannot wrap it.</summary>
    MethodUsesJmp = 20,
    /// <summary>The method returns a <c>TypedReference</c>: exit hooks cannot hold it.</summary>
    MethodReturnsTypedReference = 21,
}

/// <summary>The blocks of a try statement (<see cref="RefusalCode.LinePartlyOverlapsBlock"/>).</summary>
internal enum TryBlockKind
{
    /// <summary>The try block.</summary>
    Try = 0,
    /// <summary>The handler (catch, finally, fault, or a filter's handler).</summary>
    Handler = 1,
    /// <summary>The filter (a <c>when</c> clause).</summary>
    Filter = 2,
}

/// <summary>
/// A refusal of <c>deep_set_method_probes</c> (filled when it fails; <see cref="RefusalCode.None"/> otherwise). For a
/// line capture, <see cref="LineStart"/> and <see cref="LineEnd"/> are the line refused (its insertion's offsets).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ProbeRefusal(RefusalCode Code, int ILOffset = 0, int OtherILOffset = 0, int Count = 0, int LineStart = 0, int LineEnd = 0)
{
    /// <summary>A refusal of the line captured from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static ProbeRefusal OfLine(RefusalCode code, int start, int end, int ilOffset = 0, int otherILOffset = 0, int count = 0) =>
        new(code, ilOffset, otherILOffset, count, start, end);

    /// <summary>A line capture's line cannot be one protected region (the line can still be probed without its outcome).</summary>
    public bool IsLineShape => Code is >= RefusalCode.LineInFilter and <= RefusalCode.LinesOverlap;
}
