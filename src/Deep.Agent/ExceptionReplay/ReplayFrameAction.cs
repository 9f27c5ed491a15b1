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
    private readonly AwaitedTypes _awaited;
    private readonly ScopeLookup? _scopes;
    private int _exceptionSlot = -1;

    // awaited: the exception types of the fingerprints waiting for this hook, shared with the service (and with an
    // overload's copy of the action): only those exceptions have their values taken.
    public ReplayFrameAction(CaptureStore store, AwaitedTypes awaited, ScopeLookup? scopes = null)
        : base(new TracePointConfig { ID = "exception-replay" }, new RateLimiter(-1, 0, null, null))
    {
        _store = store;
        _awaited = awaited;
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
        var awaited = _awaited;
        Condition = values => values.Has(slot) && values.GetBoxed(slot) is Exception e && awaited.Contains(e.GetType());
        return null;
    }

    public override void Process(Hit hit)
    {
        if (_exceptionSlot < 0 || hit.Values.GetBoxed(_exceptionSlot) is not Exception exception) return;
        var layout = hit.Layout;
        _store.Add(exception, new FrameCapture(layout.Method, layout.FilePath, layout.LineUsed, CaptureStore.ValuesOf(layout, hit.Values), _scopes));
    }
}

/// <summary>
/// The exception types a hook waits for (those of the fingerprints it was installed for). Written by the agent's
/// thread, read by the application's threads at every exception leaving a hooked method: an array swapped whole.
/// </summary>
internal sealed class AwaitedTypes
{
    private Type[] _types = [];

    public void Set(IEnumerable<Type> types) => Volatile.Write(ref _types, types.ToArray());

    public bool Contains(Type type)
    {
        foreach (var awaited in Volatile.Read(ref _types))
        {
            if (awaited == type) return true;
        }
        return false;
    }
}
