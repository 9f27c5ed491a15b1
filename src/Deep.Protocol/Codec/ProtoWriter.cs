using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Deep.Protocol;

/// <summary>
/// The lengths an encoding needs, computed once. The sizing pass appends the length of every nested message and
/// every string in the order the writing pass will need them, so writing never measures anything twice
/// (Google.Protobuf's C# code recomputes a nested message's size at each level it is written from).
/// </summary>
internal sealed class SizeCache
{
    [ThreadStatic] private static SizeCache? t_cached;

    private int[] _items = new int[64];
    private int _count;
    private int _read;

    /// <summary>A cache for this thread; encoding runs no user code, so one per thread is never re-entered.</summary>
    public static SizeCache Rent()
    {
        var cache = t_cached ?? new SizeCache();
        t_cached = null;
        cache._count = 0;
        cache._read = 0;
        return cache;
    }

    /// <summary>Gives the cache back for the next encode on this thread; oversized buffers are dropped.</summary>
    public static void Return(SizeCache cache)
    {
        if (cache._items.Length > 64 * 1024) cache._items = new int[64];
        t_cached = cache;
    }

    /// <summary>Reserves a slot for a nested message's size, filled in by <see cref="Set"/> once known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Reserve()
    {
        if (_count == _items.Length) Grow();
        return _count++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int slot, int value) => _items[slot] = value;

    /// <summary>Records a length-delimited field's content size and returns its size with the length prefix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int AddDelimited(int contentSize)
    {
        if (_count == _items.Length) Grow();
        _items[_count++] = contentSize;
        return ProtoSize.Varint((uint)contentSize) + contentSize;
    }

    /// <summary>
    /// Sizes a nested message: its slot comes before its children's, in writing order. Callers may pass
    /// <c>sizes.Reserve()</c> as the first argument: C# evaluates arguments left to right, so it runs before the children.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Message(int slot, int contentSize)
    {
        _items[slot] = contentSize;
        return ProtoSize.Varint((uint)contentSize) + contentSize;
    }

    /// <summary>Records a string's UTF-8 length; returns the field's size without the tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int String(string? value) => AddDelimited(value is null ? 0 : ProtoSize.Utf8(value));

    /// <summary>A string field with implicit presence (proto3: an empty string is omitted), tag included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int StringField(string? value) => string.IsNullOrEmpty(value) ? 0 : 1 + String(value);

    /// <summary>A string field with explicit presence (proto3 <c>optional</c>: written when set, even empty), tag included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int OptionalString(string? value) => value is null ? 0 : 1 + String(value);

    /// <summary>The next recorded length, in writing order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next() => _items[_read++];

    private void Grow() => Array.Resize(ref _items, _items.Length * 2);
}

/// <summary>Sizes of protobuf wire values.</summary>
internal static class ProtoSize
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Varint(uint value) => (31 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7 + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Varint(ulong value) => (63 - System.Numerics.BitOperations.LeadingZeroCount(value | 1)) / 7 + 1;

    /// <summary>int32 and enums: negative values are sign-extended to 10 bytes, as protobuf requires.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Int32(int value) => value < 0 ? 10 : Varint((uint)value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bytes(byte[] value) => Varint((uint)value.Length) + value.Length;

    // Whole fields with a one-byte tag (field numbers 1..15), omitted at their default as Google.Protobuf does.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UInt32Field(uint value) => value == 0 ? 0 : 1 + Varint(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int UInt64Field(ulong value) => value == 0 ? 0 : 1 + Varint(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int EnumField(int value) => value == 0 ? 0 : 1 + Int32(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Fixed64Field(ulong value) => value == 0 ? 0 : 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OptionalBool(bool? value) => value is null ? 0 : 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OptionalUInt32(uint? value) => value is { } set ? 1 + Varint(set) : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Utf8(string value)
    {
        // Short ASCII strings are the common case (names, types, small values): count without calling the encoder.
        if (value.Length <= 32)
        {
            foreach (var c in value)
            {
                if (c >= 0x80) return ProtoWriter.Utf8Encoding.GetByteCount(value);
            }
            return value.Length;
        }
        return ProtoWriter.Utf8Encoding.GetByteCount(value);
    }
}

/// <summary>Writes protobuf wire values into a span sized exactly by the sizing pass.</summary>
internal ref struct ProtoWriter
{
    /// <summary>
    /// UTF-8 without a BOM that replaces lone surrogates (as Google.Protobuf does) instead of throwing:
    /// a malformed string from the host must not make encoding fail.
    /// </summary>
    internal static readonly UTF8Encoding Utf8Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly Span<byte> _buffer;
    private readonly SizeCache _sizes;
    private int _position;

    public ProtoWriter(Span<byte> buffer, SizeCache sizes)
    {
        _buffer = buffer;
        _sizes = sizes;
        _position = 0;
    }

    public readonly int Position => _position;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteTag(byte tag) => _buffer[_position++] = tag;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarint(uint value) => WriteVarint((ulong)value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarint(ulong value)
    {
        var buffer = _buffer;
        var position = _position;
        while (value >= 0x80)
        {
            buffer[position++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[position++] = (byte)value;
        _position = position;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteInt32(int value)
    {
        if (value < 0) WriteVarint((ulong)(long)value);
        else WriteVarint((uint)value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBool(bool value) => _buffer[_position++] = value ? (byte)1 : (byte)0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteFixed64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.Slice(_position, 8), value);
        _position += 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteDouble(double value) => WriteFixed64((ulong)BitConverter.DoubleToInt64Bits(value));

    /// <summary>Writes a string whose UTF-8 length the sizing pass recorded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteString(string? value)
    {
        var length = _sizes.Next();
        WriteVarint((uint)length);
        if (length == 0) return;
        var destination = _buffer.Slice(_position, length);
        if (length == value!.Length)
        {
            // All ASCII (UTF-8 length equals char count only then): narrow directly.
            System.Text.Ascii.FromUtf16(value, destination, out _);
        }
        else
        {
            Utf8Encoding.GetBytes(value, destination);
        }
        _position += length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBytes(byte[] value)
    {
        WriteVarint((uint)value.Length);
        value.CopyTo(_buffer.Slice(_position));
        _position += value.Length;
    }

    // Whole fields (tag and value), skipped at their default exactly where the sizing pass (ProtoSize, SizeCache) skips them.

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteStringField(byte tag, string? value) { if (!string.IsNullOrEmpty(value)) WriteTagged(tag, value); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteOptionalString(byte tag, string? value) { if (value is not null) WriteTagged(tag, value); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteUInt32Field(byte tag, uint value) { if (value != 0) WriteTagged(tag, value); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteUInt64Field(byte tag, ulong value) { if (value != 0) WriteTagged(tag, value); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteOptionalUInt32(byte tag, uint? value) { if (value is { } set) WriteTagged(tag, set); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteEnumField(byte tag, int value)
    {
        if (value == 0) return;
        WriteTag(tag);
        WriteInt32(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteFixed64Field(byte tag, ulong value)
    {
        if (value == 0) return;
        WriteTag(tag);
        WriteFixed64(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteOptionalBool(byte tag, bool? value)
    {
        if (value is not { } set) return;
        WriteTag(tag);
        WriteBool(set);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteTagged(byte tag, string value)
    {
        WriteTag(tag);
        WriteString(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteTagged(byte tag, ulong value)
    {
        WriteTag(tag);
        WriteVarint(value);
    }

    /// <summary>Writes the length prefix of the next nested message (its content follows).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeginMessage(byte tag)
    {
        _buffer[_position++] = tag;
        WriteVarint((uint)_sizes.Next());
    }
}
