using System.Buffers.Binary;
using Deep.Abi;

namespace Deep.Profiler.Rewriting;

/// <summary>The kind of an exception-handling clause (ECMA-335 II.25.4.6, <c>CorExceptionFlag</c>).</summary>
internal enum ExceptionClauseKind
{
    /// <summary>A typed <c>catch</c>: <see cref="ExceptionClause.ClassTokenOrFilterOffset"/> is the type token.</summary>
    Catch = 0,
    /// <summary>A filter: <see cref="ExceptionClause.ClassTokenOrFilterOffset"/> is the filter's IL offset.</summary>
    Filter = 1,
    /// <summary>A <c>finally</c> block.</summary>
    Finally = 2,
    /// <summary>A <c>fault</c> block.</summary>
    Fault = 4,
}

/// <summary>One exception-handling clause, offsets in bytes from the start of the code.</summary>
internal readonly record struct ExceptionClause(
    ExceptionClauseKind Kind,
    int TryOffset,
    int TryLength,
    int HandlerOffset,
    int HandlerLength,
    int ClassTokenOrFilterOffset);

/// <summary>
/// Raised when a method cannot be rewritten: a body or IL stream that is not well formed, a request that does not fit
/// the method (<see cref="RefusalCode.Other"/>, the message says what), or a shape the rewriter refuses, with its code
/// and offsets (the agent words it for users; the message is the refusal's fields, for the profiler's log).
/// </summary>
internal sealed class InvalidILException : Exception
{
    public InvalidILException(string message) : base(message) => Refusal = new ProbeRefusal(RefusalCode.Other);

    public InvalidILException(ProbeRefusal refusal) : base(refusal.ToString()) => Refusal = refusal;

    /// <summary>What the agent is told: <see cref="RefusalCode.Other"/> with the message, or a typed refusal.</summary>
    public ProbeRefusal Refusal { get; }
}

/// <summary>
/// A method body as the runtime stores it (ECMA-335 II.25.4): header, code, and exception clauses.
/// Parses tiny and fat headers with small or fat clause sections; always writes a fat header and fat clauses.
/// </summary>
internal sealed class MethodBody
{
    private const int TinyFormat = 0x2;
    private const int FatFormat = 0x3;
    private const int MoreSects = 0x8;
    private const int InitLocalsFlag = 0x10;
    private const int SectEHTable = 0x1;
    private const int SectFatFormat = 0x40;
    private const int SectMoreSects = 0x80;
    private const int FatClauseSize = 24;
    private const int SmallClauseSize = 12;

    /// <summary>Creates a body from its parts.</summary>
    public MethodBody(byte[] code, int maxStack, int localVarSigToken, bool initLocals, IReadOnlyList<ExceptionClause> clauses)
    {
        Code = code;
        MaxStack = maxStack;
        LocalVarSigToken = localVarSigToken;
        InitLocals = initLocals;
        Clauses = clauses;
    }

    /// <summary>The IL code.</summary>
    public byte[] Code { get; }
    /// <summary>The maximum evaluation-stack depth.</summary>
    public int MaxStack { get; }
    /// <summary>The <c>StandAloneSig</c> token of the locals, or 0.</summary>
    public int LocalVarSigToken { get; }
    /// <summary>Whether locals are zero-initialised.</summary>
    public bool InitLocals { get; }
    /// <summary>The exception-handling clauses, in their original order (inner before outer).</summary>
    public IReadOnlyList<ExceptionClause> Clauses { get; }

    /// <summary>Parses a body (header, code, sections) as returned by <c>GetILFunctionBody</c>.</summary>
    public static MethodBody Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < 1)
            throw new InvalidILException("empty method body");
        int format = body[0] & 0x3;
        if (format == TinyFormat)
        {
            int tinySize = body[0] >> 2;
            if (body.Length < 1 + tinySize)
                throw new InvalidILException($"tiny header announces {tinySize} code bytes but only {body.Length - 1} follow");
            return new MethodBody(body.Slice(1, tinySize).ToArray(), 8, 0, false, []);
        }
        if (format != FatFormat)
            throw new InvalidILException($"unknown method header format 0x{body[0]:X2}");
        if (body.Length < 12)
            throw new InvalidILException("fat header is truncated");

        ushort flagsAndSize = BinaryPrimitives.ReadUInt16LittleEndian(body);
        int flags = flagsAndSize & 0xFFF;
        int headerSize = (flagsAndSize >> 12) * 4;
        if (headerSize < 12)
            throw new InvalidILException($"fat header size {headerSize} is below 12 bytes");
        int maxStack = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
        uint codeSize = BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        int localSig = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        if (codeSize > int.MaxValue || headerSize + (long)codeSize > body.Length)
            throw new InvalidILException($"fat header announces {codeSize} code bytes but only {body.Length - headerSize} follow");
        byte[] code = body.Slice(headerSize, (int)codeSize).ToArray();

        var clauses = new List<ExceptionClause>();
        if ((flags & MoreSects) != 0)
        {
            int pos = Align4(headerSize + (int)codeSize);
            while (true)
            {
                if (pos + 4 > body.Length)
                    throw new InvalidILException("extra data section is truncated");
                byte kind = body[pos];
                bool fat = (kind & SectFatFormat) != 0;
                int dataSize = fat ? body[pos + 1] | body[pos + 2] << 8 | body[pos + 3] << 16 : body[pos + 1];
                if (dataSize < 4 || pos + dataSize > body.Length)
                    throw new InvalidILException($"extra data section of {dataSize} bytes does not fit the body");
                if ((kind & SectEHTable) != 0)
                    ReadClauses(body.Slice(pos + 4, dataSize - 4), fat, clauses);
                pos += dataSize;
                if ((kind & SectMoreSects) == 0)
                    break;
                pos = Align4(pos);
            }
        }
        return new MethodBody(code, maxStack, localSig, (flags & InitLocalsFlag) != 0, clauses);
    }

    private static void ReadClauses(ReadOnlySpan<byte> data, bool fat, List<ExceptionClause> into)
    {
        int size = fat ? FatClauseSize : SmallClauseSize;
        if (data.Length % size != 0)
            throw new InvalidILException($"exception clause table of {data.Length} bytes is not a multiple of {size}");
        for (int at = 0; at < data.Length; at += size)
        {
            var c = data.Slice(at, size);
            if (fat)
            {
                into.Add(new ExceptionClause(
                    (ExceptionClauseKind)(BinaryPrimitives.ReadInt32LittleEndian(c) & 0x7),
                    BinaryPrimitives.ReadInt32LittleEndian(c[4..]),
                    BinaryPrimitives.ReadInt32LittleEndian(c[8..]),
                    BinaryPrimitives.ReadInt32LittleEndian(c[12..]),
                    BinaryPrimitives.ReadInt32LittleEndian(c[16..]),
                    BinaryPrimitives.ReadInt32LittleEndian(c[20..])));
            }
            else
            {
                into.Add(new ExceptionClause(
                    (ExceptionClauseKind)(BinaryPrimitives.ReadUInt16LittleEndian(c) & 0x7),
                    BinaryPrimitives.ReadUInt16LittleEndian(c[2..]),
                    c[4],
                    BinaryPrimitives.ReadUInt16LittleEndian(c[5..]),
                    c[7],
                    BinaryPrimitives.ReadInt32LittleEndian(c[8..])));
            }
        }
    }

    /// <summary>Writes the body with a fat header and, when there are clauses, one fat exception section.</summary>
    public byte[] Encode()
    {
        int codeEnd = 12 + Code.Length;
        int total = Clauses.Count == 0 ? codeEnd : Align4(codeEnd) + 4 + Clauses.Count * FatClauseSize;
        var output = new byte[total];
        var span = output.AsSpan();
        int flags = FatFormat | (Clauses.Count > 0 ? MoreSects : 0) | (InitLocals ? InitLocalsFlag : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(3 << 12 | flags));
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], (ushort)Math.Min(MaxStack, ushort.MaxValue));
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Code.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], LocalVarSigToken);
        Code.CopyTo(span[12..]);
        if (Clauses.Count > 0)
        {
            int pos = Align4(codeEnd);
            int dataSize = 4 + Clauses.Count * FatClauseSize;
            span[pos] = SectEHTable | SectFatFormat;
            span[pos + 1] = (byte)dataSize;
            span[pos + 2] = (byte)(dataSize >> 8);
            span[pos + 3] = (byte)(dataSize >> 16);
            pos += 4;
            foreach (var c in Clauses)
            {
                BinaryPrimitives.WriteInt32LittleEndian(span[pos..], (int)c.Kind);
                BinaryPrimitives.WriteInt32LittleEndian(span[(pos + 4)..], c.TryOffset);
                BinaryPrimitives.WriteInt32LittleEndian(span[(pos + 8)..], c.TryLength);
                BinaryPrimitives.WriteInt32LittleEndian(span[(pos + 12)..], c.HandlerOffset);
                BinaryPrimitives.WriteInt32LittleEndian(span[(pos + 16)..], c.HandlerLength);
                BinaryPrimitives.WriteInt32LittleEndian(span[(pos + 20)..], c.ClassTokenOrFilterOffset);
                pos += FatClauseSize;
            }
        }
        return output;
    }

    private static int Align4(int value) => (value + 3) & ~3;
}
