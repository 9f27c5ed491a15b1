// The contract between the trigger handler / probe runtime and the instrumentation engine.
// See docs/design/probe-abi.md; change both sides together.
using Deep.Abi;

namespace Deep.Agent.Instrumentation;

/// <summary>A location the trigger handler wants probed. Tracepoints at the same location share one probe.</summary>
/// <param name="ProbeId">Assigned by the agent; the <c>int32</c> the rewritten IL passes to the probe runtime.</param>
/// <param name="Path">The tracepoint's path as given (bare name, relative or foreign absolute path).</param>
/// <param name="Line">The requested line (ignored for method locations).</param>
/// <param name="MethodName">Set for method locations.</param>
/// <param name="ClassName">Narrows <paramref name="MethodName"/>.</param>
/// <param name="Stage">Where the probe runs.</param>
internal sealed record ProbeLocation(int ProbeId, string Path, int Line, string? MethodName, string? ClassName, TracepointStage Stage)
{
    /// <summary>
    /// Which spans the location's actions open: around its line, and/or until its method exits. A line location with
    /// either gets exit hooks (probe-abi.md §1); a change re-installs the location.
    /// </summary>
    public (bool Line, bool Method) SpanScopes { get; init; }

    /// <summary>
    /// Exception Replay's frame hook (a <c>method_capture</c> location): the exit probe also hands over every local the
    /// PDB names (all scopes, each IL slot once) and, unless the method returns a task (whose exception the task
    /// carries), runs only when an exception leaves the method, without return value or duration.
    /// </summary>
    public bool ExceptionFrame { get; init; }
}

/// <summary>Resolves locations to methods and has the profiler rewrite them.</summary>
internal interface IInstrumentationEngine
{
    /// <summary>Install the probe for <paramref name="location"/>. Called on an agent thread; never throws.</summary>
    void Install(ProbeLocation location);

    /// <summary>Remove the probe; the method's original code is restored. Never throws.</summary>
    void Remove(int probeId);
}

/// <summary>One captured value of a probe: slot <c>i</c> is the i-th <c>Value&lt;T&gt;</c> call of the IL.</summary>
/// <param name="Name">The name to show (<c>this</c>, a parameter name, a local's source name).</param>
/// <param name="DeclaredType">The declared type of the value (a ref/out argument's element type).</param>
/// <param name="Kind">This, argument or local.</param>
/// <param name="OriginalName">The compiler's name when it differs (e.g. a hoisted <c>&lt;x&gt;5__2</c>).</param>
/// <param name="Fields">When set, the slot holds compiler-generated storage (an async state machine, a closure) that is
/// not shown itself: these of its fields are shown instead, as top-level variables under their source names.</param>
internal sealed record ProbeSlot(string Name, Type DeclaredType, SlotKind Kind, string? OriginalName = null, IReadOnlyList<SlotField>? Fields = null);

/// <summary>A field of a slot's value shown as a variable of the probed frame (a hoisted local, a captured variable).</summary>
/// <param name="Name">The source name (<c>this</c> for a hoisted or captured <c>this</c>).</param>
/// <param name="Field">The field, declared by the slot's type (or by the enclosing field's type).</param>
/// <param name="OriginalName">The compiler's name when it differs from <paramref name="Name"/>.</param>
/// <param name="Fields">When set, this field holds another closure: its listed fields are shown, not the field.</param>
internal sealed record SlotField(string Name, System.Reflection.FieldInfo Field, string? OriginalName = null, IReadOnlyList<SlotField>? Fields = null);

/// <summary>How a resolved probe's values are laid out, and where it was installed.</summary>
/// <param name="Slots">Slot i holds the value passed with slot number i.</param>
/// <param name="Method">The method the probe is in.</param>
/// <param name="FilePath">The source document's path as recorded in the PDB.</param>
/// <param name="LineUsed">The line actually probed (the next line with code when the requested one has none).</param>
/// <param name="ILOffset">Where in the method the probe was inserted.</param>
/// <param name="NotCaptured">Values in scope that cannot be captured, with why (e.g. byref-like types).</param>
internal sealed record ProbeFrameLayout(
    IReadOnlyList<ProbeSlot> Slots,
    System.Reflection.MethodBase Method,
    string FilePath,
    int LineUsed,
    int ILOffset,
    IReadOnlyList<string> NotCaptured)
{
    /// <summary>The method has exit hooks: spans started here are stopped by the frame (probe-abi.md §1).</summary>
    public bool HasExitHooks { get; init; }

    /// <summary>For a method location: the stage's name (<c>method_start</c>...) and the overload's signature.</summary>
    public string? MethodSignature { get; init; }

    /// <summary>
    /// A <c>line_capture</c> placed after the line like <c>line_end</c> because the line cannot be wrapped: why its
    /// outcome (<c>exception</c>, <c>duration</c>) is missing. Snapshots show it as those watches' error.
    /// </summary>
    public string? OutcomeNotCaptured { get; init; }
}
