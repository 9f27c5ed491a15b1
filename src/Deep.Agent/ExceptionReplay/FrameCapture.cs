using System.Reflection;
using System.Runtime.CompilerServices;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.ExceptionReplay;

/// <summary>One value of a frame as the exception passed through it: slot <paramref name="Position"/> of its hook's layout.</summary>
internal readonly record struct CapturedValue(int Position, ProbeSlot Slot, object? Value);

/// <summary>
/// Which values of <paramref name="method"/>'s hook (by position in its layout) are in scope at an IL offset, each
/// with the slot (name) it has there; null when the method's symbols cannot tell (ProfilerEngine.InScope).
/// </summary>
internal delegate IReadOnlyList<(int Position, ProbeSlot Shown)>? ScopeLookup(MethodBase method, int ilOffset);

/// <summary>
/// The values of one app frame, taken when an exception left it (before the frame was gone); <c>Scopes</c> tells which
/// of them the frame shows, by where the exception passed.
/// </summary>
internal sealed record FrameCapture(MethodBase Method, string FilePath, int Line, IReadOnlyList<CapturedValue> Values, ScopeLookup? Scopes = null);

/// <summary>
/// The frames' values of each exception in flight, attached to the exception object itself: one occurrence's values
/// never mix with another's, and they are dropped with the exception when it never escapes.
/// </summary>
internal sealed class CaptureStore
{
    /// <summary>At most this many frames are kept per exception (a deep recursion keeps its innermost ones).</summary>
    public const int MaxFramesPerException = 32;

    private readonly ConditionalWeakTable<Exception, List<FrameCapture>> _captures = new();

    public void Add(Exception exception, FrameCapture frame)
    {
        var list = _captures.GetValue(exception, static _ => new List<FrameCapture>(4));
        lock (list)
        {
            if (list.Count < MaxFramesPerException) list.Add(frame);
        }
    }

    /// <summary>The frames captured for <paramref name="exception"/>, innermost first (the order it left them in).</summary>
    public IReadOnlyList<FrameCapture> Get(Exception exception)
    {
        if (!_captures.TryGetValue(exception, out var list)) return [];
        lock (list) return list.ToArray();
    }

    public bool Has(Exception exception) => _captures.TryGetValue(exception, out _);

    /// <summary>
    /// The values of a hook's slots other than the outcome (this, the arguments, every local of the method, closures
    /// and state machines whole): which of them the frame shows is decided when the snapshot is built.
    /// </summary>
    internal static List<CapturedValue> ValuesOf(ProbeFrameLayout layout, Probes.HitState values)
    {
        var result = new List<CapturedValue>(layout.Slots.Count);
        for (var i = 0; i < layout.Slots.Count; i++)
        {
            var slot = layout.Slots[i];
            if (slot.Kind is SlotKind.Return or SlotKind.Exception or SlotKind.Duration || !values.Has(i)) continue;
            var value = values.GetBoxed(i);
            result.Add(new CapturedValue(i, slot, slot.Fields is not null ? Kept(value) : value));
        }
        return result;
    }

    private static readonly MethodInfo? s_memberwiseClone =
        typeof(object).GetMethod("MemberwiseClone", BindingFlags.Instance | BindingFlags.NonPublic);

    // A state machine class (a Debug build's) is the live object: its catch clears the hoisted locals right after the
    // hook ran. A shallow copy keeps them as they were (a struct machine, Release, is already handed over as a copy).
    private static object? Kept(object? value)
    {
        if (value is not IAsyncStateMachine || value.GetType().IsValueType) return value;
        try
        {
            return s_memberwiseClone?.Invoke(value, null) ?? value;
        }
        catch
        {
            return value;
        }
    }
}
