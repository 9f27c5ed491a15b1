using System.Reflection;
using System.Runtime.CompilerServices;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.ExceptionReplay;

/// <summary>One value of a frame as the exception passed through it.</summary>
internal readonly record struct CapturedValue(string Name, Type DeclaredType, object? Value, string? OriginalName);

/// <summary>The values of one app frame, taken when an exception left it (before the frame was gone).</summary>
internal sealed record FrameCapture(MethodBase Method, string FilePath, int Line, IReadOnlyList<CapturedValue> Values);

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

    /// <summary>The values of a probe's slots other than the outcome (this, the arguments, locals).</summary>
    internal static List<CapturedValue> ValuesOf(ProbeFrameLayout layout, Probes.HitState values)
    {
        var result = new List<CapturedValue>(layout.Slots.Count);
        var shown = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < layout.Slots.Count; i++)
        {
            var slot = layout.Slots[i];
            if (slot.Kind is SlotKind.Return or SlotKind.Exception or SlotKind.Duration || slot.Fields is not null) continue;
            if (!values.Has(i) || !shown.Add(slot.Name)) continue;
            result.Add(new CapturedValue(slot.Name, slot.DeclaredType, values.GetBoxed(i), slot.OriginalName));
        }
        return result;
    }
}
