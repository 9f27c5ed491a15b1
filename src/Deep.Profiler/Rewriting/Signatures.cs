namespace Deep.Profiler.Rewriting;

/// <summary><c>CorElementType</c> values used in signatures (ECMA-335 II.23.1.16).</summary>
internal static class ElementType
{
    public const byte Void = 0x01, Boolean = 0x02, Char = 0x03, I1 = 0x04, U1 = 0x05, I2 = 0x06, U2 = 0x07,
        I4 = 0x08, U4 = 0x09, I8 = 0x0A, U8 = 0x0B, R4 = 0x0C, R8 = 0x0D, String = 0x0E, Ptr = 0x0F, ByRef = 0x10,
        ValueType = 0x11, Class = 0x12, Var = 0x13, Array = 0x14, GenericInst = 0x15, TypedByRef = 0x16,
        I = 0x18, U = 0x19, FnPtr = 0x1B, Object = 0x1C, SzArray = 0x1D, MVar = 0x1E, CModReqd = 0x1F,
        CModOpt = 0x20, Internal = 0x21, Sentinel = 0x41, Pinned = 0x45;
}

/// <summary>One type from a signature, with the wrappers a slot cares about taken off.</summary>
/// <param name="Blob">The type's blob without leading custom modifiers, <c>PINNED</c> or <c>BYREF</c>.</param>
/// <param name="IsByRef">The slot holds a managed pointer to <see cref="Blob"/>.</param>
/// <param name="IsPinned">A pinned local.</param>
internal sealed record SigType(byte[] Blob, bool IsByRef, bool IsPinned)
{
    /// <summary>The element type of <see cref="Blob"/>.</summary>
    public byte Element => Blob[0];

    /// <summary>True for types held as object references (class, interface, string, object, arrays, delegate).</summary>
    public bool IsReference => Element switch
    {
        ElementType.Class or ElementType.String or ElementType.Object or ElementType.SzArray or ElementType.Array => true,
        ElementType.GenericInst => Blob[1] == ElementType.Class,
        _ => false,
    };
}

/// <summary>A parsed method signature.</summary>
internal sealed record MethodSig(bool HasThis, bool ExplicitThis, int GenericParameterCount, SigType ReturnType, IReadOnlyList<SigType> Parameters);

/// <summary>Parses method and local-variable signature blobs (ECMA-335 II.23.2).</summary>
internal static class SignatureParser
{
    /// <summary>
    /// A local signature blob (LOCAL_SIG, count, types) split into its count and its type bytes, to append locals to;
    /// null or empty (no locals) is 0 and none.
    /// </summary>
    public static (int Count, List<byte> Types) SplitLocals(byte[]? signature)
    {
        var types = new List<byte>();
        if (signature is not { Length: > 0 })
            return (0, types);
        if (signature[0] != LocalSigKind)
            throw new InvalidILException($"the local signature starts with 0x{signature[0]:X2}, not LOCAL_SIG");
        int pos = 1;
        int count = ReadCompressed(signature, ref pos);
        types.AddRange(signature.AsSpan(pos).ToArray());
        return (count, types);
    }

    /// <summary>The local signature blob of <paramref name="count"/> locals whose types are <paramref name="types"/>.</summary>
    public static byte[] JoinLocals(int count, List<byte> types, string appending)
    {
        if (count > 0xFFFE)
            throw new InvalidILException($"no room for {appending}: the method would have {count} locals");
        var signature = new List<byte>(types.Count + 5) { LocalSigKind };
        signature.AddRange(EncodeCompressed(count));
        signature.AddRange(types);
        return signature.ToArray();
    }

    private const byte HasThisFlag = 0x20;
    private const byte ExplicitThisFlag = 0x40;
    private const byte GenericFlag = 0x10;
    private const byte LocalSigKind = 0x07;

    /// <summary>Parses a <c>MethodDefSig</c>.</summary>
    public static MethodSig ParseMethod(ReadOnlySpan<byte> sig)
    {
        int pos = 0;
        byte callConv = ReadByte(sig, ref pos);
        if ((callConv & 0x0F) is 0x06 or LocalSigKind or 0x0A)
            throw new InvalidILException($"signature with calling convention 0x{callConv:X2} is not a method signature");
        int genericCount = (callConv & GenericFlag) != 0 ? ReadCompressed(sig, ref pos) : 0;
        int paramCount = ReadCompressed(sig, ref pos);
        var ret = ReadSlotType(sig, ref pos);
        var parameters = new List<SigType>(paramCount);
        for (int i = 0; i < paramCount; i++)
            parameters.Add(ReadSlotType(sig, ref pos));
        return new MethodSig((callConv & HasThisFlag) != 0, (callConv & ExplicitThisFlag) != 0, genericCount, ret, parameters);
    }

    /// <summary>Parses a <c>LocalVarSig</c>.</summary>
    public static IReadOnlyList<SigType> ParseLocals(ReadOnlySpan<byte> sig)
    {
        int pos = 0;
        byte kind = ReadByte(sig, ref pos);
        if (kind != LocalSigKind)
            throw new InvalidILException($"signature kind 0x{kind:X2} is not a local variable signature");
        int count = ReadCompressed(sig, ref pos);
        var locals = new List<SigType>(count);
        for (int i = 0; i < count; i++)
            locals.Add(ReadSlotType(sig, ref pos));
        return locals;
    }

    /// <summary>Reads a compressed unsigned integer (II.23.2).</summary>
    public static int ReadCompressed(ReadOnlySpan<byte> sig, ref int pos)
    {
        byte b = ReadByte(sig, ref pos);
        if ((b & 0x80) == 0)
            return b;
        if ((b & 0xC0) == 0x80)
            return (b & 0x3F) << 8 | ReadByte(sig, ref pos);
        if ((b & 0xE0) == 0xC0)
        {
            int value = (b & 0x1F) << 24 | ReadByte(sig, ref pos) << 16;
            value |= ReadByte(sig, ref pos) << 8;
            return value | ReadByte(sig, ref pos);
        }
        throw new InvalidILException($"bad compressed integer lead byte 0x{b:X2}");
    }

    /// <summary>Decodes a <c>TypeDefOrRefOrSpecEncoded</c> value into a metadata token.</summary>
    public static int DecodeTypeDefOrRef(int coded) => (coded & 3) switch
    {
        0 => 0x02000000 | coded >> 2,
        1 => 0x01000000 | coded >> 2,
        2 => 0x1B000000 | coded >> 2,
        _ => throw new InvalidILException($"bad TypeDefOrRef coded index {coded}"),
    };

    /// <summary>Encodes a TypeDef, TypeRef or TypeSpec token as a compressed <c>TypeDefOrRefOrSpecEncoded</c>.</summary>
    public static byte[] EncodeTypeDefOrRef(int token)
    {
        int tag = (token >>> 24) switch
        {
            0x02 => 0,
            0x01 => 1,
            0x1B => 2,
            _ => throw new ArgumentException($"token 0x{token:X8} is not a TypeDef, TypeRef or TypeSpec", nameof(token)),
        };
        return EncodeCompressed((token & 0x00FFFFFF) << 2 | tag);
    }

    /// <summary>Encodes a compressed unsigned integer.</summary>
    public static byte[] EncodeCompressed(int value) => value switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(value)),
        <= 0x7F => [(byte)value],
        <= 0x3FFF => [(byte)(0x80 | value >> 8), (byte)value],
        <= 0x1FFFFFFF => [(byte)(0xC0 | value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value],
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    /// <summary>The metadata token inside a CLASS/VALUETYPE blob, or of the generic type of a GENERICINST.</summary>
    public static int TypeTokenOf(ReadOnlySpan<byte> blob)
    {
        int pos = 1;
        if (blob[0] == ElementType.GenericInst)
            pos = 2;
        else if (blob[0] is not (ElementType.Class or ElementType.ValueType))
            throw new InvalidILException($"element type 0x{blob[0]:X2} carries no type token");
        return DecodeTypeDefOrRef(ReadCompressed(blob, ref pos));
    }

    // A parameter, return or local type: custom modifiers, PINNED and BYREF come off, the rest is the blob.
    private static SigType ReadSlotType(ReadOnlySpan<byte> sig, ref int pos)
    {
        bool pinned = false, byRef = false;
        while (true)
        {
            byte b = Peek(sig, pos);
            if (b is ElementType.CModOpt or ElementType.CModReqd)
            {
                pos++;
                ReadCompressed(sig, ref pos);
            }
            else if (b == ElementType.Pinned)
            {
                pos++;
                pinned = true;
            }
            else if (b == ElementType.ByRef && !byRef)
            {
                pos++;
                byRef = true;
            }
            else if (b == ElementType.Sentinel)
            {
                pos++;
            }
            else
            {
                break;
            }
        }
        int start = pos;
        SkipType(sig, ref pos);
        return new SigType(sig[start..pos].ToArray(), byRef, pinned);
    }

    /// <summary>Moves <paramref name="pos"/> past one complete type.</summary>
    public static void SkipType(ReadOnlySpan<byte> sig, ref int pos)
    {
        byte e = ReadByte(sig, ref pos);
        switch (e)
        {
            case >= ElementType.Void and <= ElementType.String:
            case ElementType.TypedByRef:
            case ElementType.I:
            case ElementType.U:
            case ElementType.Object:
                return;
            case ElementType.Ptr:
            case ElementType.ByRef:
            case ElementType.SzArray:
            case ElementType.Pinned:
                SkipType(sig, ref pos);
                return;
            case ElementType.CModOpt:
            case ElementType.CModReqd:
                ReadCompressed(sig, ref pos);
                SkipType(sig, ref pos);
                return;
            case ElementType.ValueType:
            case ElementType.Class:
            case ElementType.Var:
            case ElementType.MVar:
                ReadCompressed(sig, ref pos);
                return;
            case ElementType.Array:
            {
                SkipType(sig, ref pos);
                ReadCompressed(sig, ref pos); // rank
                int sizes = ReadCompressed(sig, ref pos);
                for (int i = 0; i < sizes; i++)
                    ReadCompressed(sig, ref pos);
                int bounds = ReadCompressed(sig, ref pos);
                for (int i = 0; i < bounds; i++)
                    ReadCompressed(sig, ref pos); // signed, same width rules
                return;
            }
            case ElementType.GenericInst:
            {
                ReadByte(sig, ref pos); // CLASS or VALUETYPE
                ReadCompressed(sig, ref pos);
                int args = ReadCompressed(sig, ref pos);
                for (int i = 0; i < args; i++)
                    SkipType(sig, ref pos);
                return;
            }
            case ElementType.FnPtr:
            {
                byte callConv = ReadByte(sig, ref pos);
                if ((callConv & GenericFlag) != 0)
                    ReadCompressed(sig, ref pos);
                int count = ReadCompressed(sig, ref pos);
                SkipType(sig, ref pos);
                for (int i = 0; i < count; i++)
                {
                    if (Peek(sig, pos) == ElementType.Sentinel)
                        pos++;
                    SkipType(sig, ref pos);
                }
                return;
            }
            default:
                throw new InvalidILException($"unknown element type 0x{e:X2} in signature at {pos - 1}");
        }
    }

    private static byte ReadByte(ReadOnlySpan<byte> sig, ref int pos)
    {
        if (pos >= sig.Length)
            throw new InvalidILException("signature is truncated");
        return sig[pos++];
    }

    private static byte Peek(ReadOnlySpan<byte> sig, int pos) =>
        pos < sig.Length ? sig[pos] : throw new InvalidILException("signature is truncated");
}
