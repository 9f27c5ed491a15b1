using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;

namespace Deep.Agent.ExceptionReplay;

/// <summary>
/// The action of an Exception Replay hook (an exit probe on an app method of a failing stack, ProbeLocation.ExceptionFrame):
/// when an exception leaves the method, its values (this, the arguments, every local) are attached to that exception.
/// A normal return does nothing: the profiler skips the probe (insertion kind ExitOnException), or, for a method
/// returning a task, the condition is false once the task completed without an exception (no allocation).
/// </summary>
internal sealed class ReplayFrameAction : ProbeAction
{
    private readonly CaptureStore _store;
    private readonly ScopeLookup? _scopes;
    private int _exceptionSlot = -1;

    public ReplayFrameAction(CaptureStore store, ScopeLookup? scopes = null)
        : base(new TracePointConfig { ID = "exception-replay" }, new RateLimiter(-1, 0, null, null))
    {
        _store = store;
        _scopes = scopes;
    }

    public override ActionKind Kind => ActionKind.ExceptionReplay;

    protected override string? PrepareCore(ProbeFrameLayout layout)
    {
        _exceptionSlot = -1;
        for (var i = 0; i < layout.Slots.Count; i++)
        {
            if (layout.Slots[i].Kind == SlotKind.Exception) _exceptionSlot = i;
        }
        if (_exceptionSlot < 0) return "no exception slot (not an exit probe)";
        var slot = _exceptionSlot;
        Condition = values => values.Has(slot) && values.GetBoxed(slot) is Exception;
        return null;
    }

    public override void Process(Hit hit)
    {
        if (_exceptionSlot < 0 || hit.Values.GetBoxed(_exceptionSlot) is not Exception exception) return;
        var layout = hit.Layout;
        _store.Add(exception, new FrameCapture(layout.Method, layout.FilePath, layout.LineUsed, CaptureStore.ValuesOf(layout, hit.Values), _scopes));
    }
}
