using System.Runtime.CompilerServices;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Probes;

/// <summary>
/// The values of one probe hit on one thread, stored without boxing. One instance per thread, reused for every hit;
/// compiled conditions and watches read slots through <see cref="Get{T}"/> so a condition costs what the C# costs.
/// </summary>
internal sealed class HitState
{
    private const byte Unset = 0, HeldAsObject = 1, HeldRaw = 2;

    // Parallel arrays indexed by slot. A slot holds either a reference (or a boxed large struct) or the raw bits
    // of an unmanaged value of 8 bytes or less, together with the value's exact type for boxing later.
    private object?[] _objects = new object?[8];
    private ulong[] _raw = new ulong[8];
    private RawType?[] _rawTypes = new RawType?[8];
    private byte[] _state = new byte[8];
    private int _used;

    internal int ProbeId { get; private set; }

    internal bool Active { get; private set; }

    /// <summary>The layout the probe was bound with, for names and declared types.</summary>
    internal ProbeFrameLayout? Layout { get; private set; }

    internal HitState()
    {
    }

    internal int Capacity => _state.Length;

    internal void Begin(int probeId, ProbeFrameLayout layout, int count)
    {
        if (count > _state.Length) Grow(count);
        ProbeId = probeId;
        Layout = layout;
        _used = count;
        Active = true;
    }

    private void Grow(int count)
    {
        var size = Math.Max(count, _state.Length * 2);
        _objects = new object?[size];
        _raw = new ulong[size];
        _rawTypes = new RawType?[size];
        _state = new byte[size];
    }

    /// <summary>Drops every reference so a hit never keeps application objects alive.</summary>
    internal void Clear()
    {
        if (_used > 0)
        {
            // Types are runtime-wide singletons and keep nothing alive: only references and states are cleared.
            Array.Clear(_objects, 0, _used);
            Array.Clear(_state, 0, _used);
        }
        _used = 0;
        Layout = null;
        Active = false;
        ProbeId = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Store<T>(T value, int slot)
    {
        if ((uint)slot >= (uint)_used) return;
        if (!typeof(T).IsValueType)
        {
            _objects[slot] = Unsafe.As<T, object?>(ref value);
            _state[slot] = HeldAsObject;
        }
        else if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>() && Unsafe.SizeOf<T>() <= sizeof(ulong))
        {
            ulong bits = 0;
            Unsafe.As<ulong, T>(ref bits) = value;
            _raw[slot] = bits;
            _rawTypes[slot] = RawType<T>.Instance;
            _state[slot] = HeldRaw;
        }
        else
        {
            _objects[slot] = value; // a large or reference-holding struct: boxed, the documented exception
            _state[slot] = HeldAsObject;
        }
    }

    internal void StoreObject(object? value, int slot)
    {
        if ((uint)slot >= (uint)_used) return;
        _objects[slot] = value;
        _state[slot] = HeldAsObject;
    }

    /// <summary>Forgets the value of <paramref name="slot"/> (an awaited <c>Task</c> has no <c>return</c>).</summary>
    internal void Forget(int slot)
    {
        if ((uint)slot >= (uint)_used) return;
        _objects[slot] = null;
        _state[slot] = Unset;
    }

    /// <summary>
    /// A copy of this hit's values that outlives the hit, for an exit probe whose task completes later
    /// (<see cref="ProbeRuntime"/>, awaited outcomes). The copy is cleared once its actions ran.
    /// </summary>
    internal HitState Detach()
    {
        var copy = new HitState();
        copy.Begin(ProbeId, Layout!, _used);
        Array.Copy(_objects, copy._objects, _used);
        Array.Copy(_raw, copy._raw, _used);
        Array.Copy(_rawTypes, copy._rawTypes, _used);
        Array.Copy(_state, copy._state, _used);
        return copy;
    }

    /// <summary>Whether the instrumented code handed over a value for <paramref name="slot"/> on this hit.</summary>
    public bool Has(int slot) => (uint)slot < (uint)_used && _state[slot] != Unset;

    /// <summary>
    /// The value in <paramref name="slot"/> as <typeparamref name="T"/>, without boxing when it was stored raw.
    /// Throws <see cref="InvalidCastException"/> when the slot holds something else; callers (compiled expressions)
    /// turn that into an expression error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Get<T>(int slot)
    {
        if ((uint)slot >= (uint)_used) throw new InvalidOperationException($"slot {slot} is not captured");
        if (typeof(T).IsValueType && !RuntimeHelpers.IsReferenceOrContainsReferences<T>() && Unsafe.SizeOf<T>() <= sizeof(ulong)
            && _state[slot] == HeldRaw && ReferenceEquals(_rawTypes[slot], RawType<T>.Instance))
        {
            return Unsafe.As<ulong, T>(ref _raw[slot]);
        }
        return GetSlow<T>(slot);
    }

    private T GetSlow<T>(int slot)
    {
        var boxed = GetBoxed(slot);
        if (boxed is null)
        {
            if (default(T) is null) return default!;
            throw new InvalidCastException($"slot {slot} is null, not {typeof(T).Name}");
        }
        return (T)boxed;
    }

    /// <summary>The value in <paramref name="slot"/> as an object: boxing happens here, only when a snapshot needs it.</summary>
    public object? GetBoxed(int slot)
    {
        if ((uint)slot >= (uint)_used) return null;
        switch (_state[slot])
        {
            case HeldAsObject:
                return _objects[slot];
            case HeldRaw:
                return _rawTypes[slot]!.Box(_raw[slot]);
            default:
                return null;
        }
    }

    /// <summary>The runtime type of the value in the slot, or the declared type when the value is null.</summary>
    internal Type? RuntimeTypeOf(int slot)
    {
        if ((uint)slot >= (uint)_used) return null;
        return _state[slot] switch
        {
            HeldRaw => _rawTypes[slot]!.Type,
            HeldAsObject => _objects[slot]?.GetType() ?? Layout?.Slots[slot].DeclaredType,
            _ => Layout?.Slots[slot].DeclaredType,
        };
    }
}

/// <summary>
/// The exact type of a value held as raw bits in a <see cref="HitState"/> slot, and how to box it later. One instance
/// per type, so storing it costs a static read; boxing goes through the generic type (not <c>RuntimeHelpers.Box</c>,
/// which is .NET 9+), so a <see cref="Nullable{T}"/> boxes to its value or null as C# would.
/// </summary>
internal abstract class RawType
{
    public abstract Type Type { get; }

    public abstract object? Box(ulong bits);
}

internal sealed class RawType<T> : RawType
{
    public static readonly RawType<T> Instance = new();

    public override Type Type => typeof(T);

    public override object? Box(ulong bits) => Unsafe.As<ulong, T>(ref bits);
}
