using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Deep.Protocol;

/// <summary>Protobuf wire types.</summary>
internal static class WireType
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;
}

/// <summary>
/// Reads protobuf wire values from a span. Every read is bounded by the end of the current (nested) message, so a
/// malformed length can never read past its parent or make the reader allocate more than the bytes present.
/// Every failure is a <see cref="ProtoDecodeException"/> naming the absolute offset.
/// </summary>
internal ref struct ProtoReader
{
    /// <summary>How deep messages (and unknown groups) may nest before the input is rejected.</summary>
    public const int MaxDepth = 64;

    /// <summary>Strict UTF-8: proto3 strings must be valid UTF-8, and a bit flip must not pass silently.</summary>
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;
    private int _limit;
    private int _depth;

    public ProtoReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        _limit = buffer.Length;
        _depth = 0;
    }

    public readonly int Position => _position;

    /// <summary>Reads the next tag, or returns false at the end of the current message.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadTag(out uint tag)
    {
        if (_position >= _limit)
        {
            tag = 0;
            return false;
        }
        // One-byte tags (fields 1..15) are the overwhelming case.
        uint b = _buffer[_position];
        if (b < 0x80 && b >= 8)
        {
            _position++;
            tag = b;
            return true;
        }
        tag = ReadTagSlow();
        return true;
    }

    private uint ReadTagSlow()
    {
        var start = _position;
        var value = ReadVarint();
        if (value > uint.MaxValue) throw new ProtoDecodeException(start, "tag does not fit in 32 bits");
        if (value >> 3 == 0) throw new ProtoDecodeException(start, "field number 0 is not allowed");
        return (uint)value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadVarint()
    {
        if (_position < _limit)
        {
            ulong b = _buffer[_position];
            if (b < 0x80)
            {
                _position++;
                return b;
            }
        }
        return ReadVarintSlow();
    }

    private ulong ReadVarintSlow()
    {
        var start = _position;
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _limit) throw new ProtoDecodeException(_position, $"truncated varint (started at byte {start})");
            ulong b = _buffer[_position++];
            result |= (b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new ProtoDecodeException(start, "varint longer than 10 bytes");
    }

    /// <summary>uint32 fields: the low 32 bits, as every protobuf implementation reads them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint ReadUInt32() => (uint)ReadVarint();

    /// <summary>int32 and enum fields: the low 32 bits, sign included.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadInt32() => (int)ReadVarint();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadInt64() => (long)ReadVarint();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadBool() => ReadVarint() != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadFixed64()
    {
        if (_limit - _position < 8) throw new ProtoDecodeException(_position, $"fixed64 needs 8 bytes, {_limit - _position} left");
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.Slice(_position, 8));
        _position += 8;
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ReadDouble() => BitConverter.Int64BitsToDouble((long)ReadFixed64());

    /// <summary>Reads a length prefix and checks that many bytes remain in the current message.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadLength()
    {
        var start = _position;
        var length = ReadVarint();
        if (length > (ulong)(_limit - _position))
            throw new ProtoDecodeException(start, $"length {length} runs past the end ({_limit - _position} bytes left)");
        return (int)length;
    }

    public string ReadString()
    {
        var length = ReadLength();
        if (length == 0) return "";
        var start = _position;
        _position += length;
        try
        {
            return s_strictUtf8.GetString(_buffer.Slice(start, length));
        }
        catch (DecoderFallbackException)
        {
            throw new ProtoDecodeException(start, "string is not valid UTF-8");
        }
    }

    public byte[] ReadBytes()
    {
        var length = ReadLength();
        if (length == 0) return Array.Empty<byte>();
        var value = _buffer.Slice(_position, length).ToArray();
        _position += length;
        return value;
    }

    /// <summary>Enters a nested message: returns the parent's limit, to be given back to <see cref="EndMessage"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int BeginMessage()
    {
        var length = ReadLength();
        if (++_depth > MaxDepth) throw new ProtoDecodeException(_position, $"messages nested deeper than {MaxDepth}");
        var parentLimit = _limit;
        _limit = _position + length;
        return parentLimit;
    }

    /// <summary>Leaves a nested message. Its fields stopped exactly at its end, since every read is bounded by it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndMessage(int parentLimit)
    {
        _depth--;
        _limit = parentLimit;
    }

    /// <summary>
    /// Skips a field this code does not know (or knows with another wire type, as Google.Protobuf does):
    /// every valid wire type is skipped; 6 and 7 and a stray end-group are errors.
    /// </summary>
    public void SkipField(uint tag)
    {
        // Errors point at the field's tag (assuming the usual minimal tag encoding).
        var start = _position - ProtoSize.Varint(tag);
        switch ((int)(tag & 7))
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                if (_limit - _position < 8) throw new ProtoDecodeException(start, $"fixed64 needs 8 bytes, {_limit - _position} left");
                _position += 8;
                break;
            case WireType.LengthDelimited:
            {
                // Not `_position += ReadLength()`: that would add to the position read before the length prefix.
                var length = ReadLength();
                _position += length;
                break;
            }
            case WireType.StartGroup:
                SkipGroup(tag >> 3, start);
                break;
            case WireType.EndGroup:
                throw new ProtoDecodeException(start, $"end-group for field {tag >> 3} without a matching start-group");
            case WireType.Fixed32:
                if (_limit - _position < 4) throw new ProtoDecodeException(start, $"fixed32 needs 4 bytes, {_limit - _position} left");
                _position += 4;
                break;
            default:
                throw new ProtoDecodeException(start, $"invalid wire type {tag & 7} (field {tag >> 3})");
        }
    }

    private void SkipGroup(uint fieldNumber, int start)
    {
        if (++_depth > MaxDepth) throw new ProtoDecodeException(start, $"groups nested deeper than {MaxDepth}");
        while (true)
        {
            if (_position >= _limit) throw new ProtoDecodeException(_position, $"group for field {fieldNumber} is not closed (started at byte {start})");
            var tagStart = _position;
            TryReadTag(out var tag);
            if ((tag & 7) == WireType.EndGroup)
            {
                if (tag >> 3 != fieldNumber)
                    throw new ProtoDecodeException(tagStart, $"end-group for field {tag >> 3} closes the group of field {fieldNumber}");
                _depth--;
                return;
            }
            SkipField(tag);
        }
    }
}
