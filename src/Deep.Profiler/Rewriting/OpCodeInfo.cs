using System.Reflection.Metadata;

namespace Deep.Profiler.Rewriting;

/// <summary>The kinds of inline operand a CIL instruction carries (ECMA-335 III.1.9).</summary>
internal enum OperandKind : byte
{
    /// <summary>No operand.</summary>
    None,
    /// <summary>One byte: <c>ldarg.s</c>, <c>ldloc.s</c>, <c>unaligned.</c>, <c>no.</c>.</summary>
    UInt8,
    /// <summary>One signed byte: <c>ldc.i4.s</c>.</summary>
    Int8,
    /// <summary>Two bytes: <c>ldarg</c>, <c>ldloc</c> and friends.</summary>
    UInt16,
    /// <summary>A four-byte integer: <c>ldc.i4</c>.</summary>
    Int32,
    /// <summary>An eight-byte integer: <c>ldc.i8</c>.</summary>
    Int64,
    /// <summary>A four-byte float: <c>ldc.r4</c>.</summary>
    Float32,
    /// <summary>An eight-byte float: <c>ldc.r8</c>.</summary>
    Float64,
    /// <summary>A metadata token.</summary>
    Token,
    /// <summary>A one-byte branch displacement, relative to the next instruction.</summary>
    ShortBranch,
    /// <summary>A four-byte branch displacement, relative to the next instruction.</summary>
    Branch,
    /// <summary><c>switch</c>: a count N then N four-byte displacements, relative to the end of the instruction.</summary>
    Switch,
}

/// <summary>Operand kinds and names of every defined CIL opcode.</summary>
internal static class OpCodeInfo
{
    /// <summary>The first byte of every two-byte opcode.</summary>
    public const byte TwoBytePrefix = 0xFE;

    private static readonly OperandKind?[] s_oneByte = new OperandKind?[256];
    private static readonly OperandKind?[] s_twoByte = new OperandKind?[256];

    static OpCodeInfo()
    {
        // Everything from 0x00 to 0xE0 that is defined; the gaps stay null (undefined opcodes).
        for (int op = 0x00; op <= 0xE0; op++)
            s_oneByte[op] = OperandKind.None;
        foreach (int gap in new[] { 0x24, 0x77, 0x78, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB0, 0xB1, 0xB2, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF, 0xC0, 0xC1, 0xC4, 0xC5, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF })
            s_oneByte[gap] = null;

        // ldarg.s ldarga.s starg.s ldloc.s ldloca.s stloc.s
        for (int op = 0x0E; op <= 0x13; op++)
            s_oneByte[op] = OperandKind.UInt8;
        s_oneByte[0x1F] = OperandKind.Int8;     // ldc.i4.s
        s_oneByte[0x20] = OperandKind.Int32;    // ldc.i4
        s_oneByte[0x21] = OperandKind.Int64;    // ldc.i8
        s_oneByte[0x22] = OperandKind.Float32;  // ldc.r4
        s_oneByte[0x23] = OperandKind.Float64;  // ldc.r8
        s_oneByte[0x27] = OperandKind.Token;    // jmp
        s_oneByte[0x28] = OperandKind.Token;    // call
        s_oneByte[0x29] = OperandKind.Token;    // calli
        for (int op = 0x2B; op <= 0x37; op++)
            s_oneByte[op] = OperandKind.ShortBranch;   // br.s .. blt.un.s
        for (int op = 0x38; op <= 0x44; op++)
            s_oneByte[op] = OperandKind.Branch;        // br .. blt.un
        s_oneByte[0x45] = OperandKind.Switch;
        // callvirt cpobj ldobj ldstr newobj castclass isinst
        for (int op = 0x6F; op <= 0x75; op++)
            s_oneByte[op] = OperandKind.Token;
        s_oneByte[0x79] = OperandKind.Token;    // unbox
        // ldfld ldflda stfld ldsfld ldsflda stsfld stobj
        for (int op = 0x7B; op <= 0x81; op++)
            s_oneByte[op] = OperandKind.Token;
        s_oneByte[0x8C] = OperandKind.Token;    // box
        s_oneByte[0x8D] = OperandKind.Token;    // newarr
        s_oneByte[0x8F] = OperandKind.Token;    // ldelema
        s_oneByte[0xA3] = OperandKind.Token;    // ldelem
        s_oneByte[0xA4] = OperandKind.Token;    // stelem
        s_oneByte[0xA5] = OperandKind.Token;    // unbox.any
        s_oneByte[0xC2] = OperandKind.Token;    // refanyval
        s_oneByte[0xC6] = OperandKind.Token;    // mkrefany
        s_oneByte[0xD0] = OperandKind.Token;    // ldtoken
        s_oneByte[0xDD] = OperandKind.Branch;   // leave
        s_oneByte[0xDE] = OperandKind.ShortBranch; // leave.s
        s_oneByte[TwoBytePrefix] = null;        // handled as the two-byte table

        for (int op = 0x00; op <= 0x1E; op++)
            s_twoByte[op] = OperandKind.None;
        s_twoByte[0x08] = null;
        s_twoByte[0x10] = null;
        s_twoByte[0x1B] = null;
        s_twoByte[0x06] = OperandKind.Token;    // ldftn
        s_twoByte[0x07] = OperandKind.Token;    // ldvirtftn
        // ldarg ldarga starg ldloc ldloca stloc
        for (int op = 0x09; op <= 0x0E; op++)
            s_twoByte[op] = OperandKind.UInt16;
        s_twoByte[0x12] = OperandKind.UInt8;    // unaligned.
        s_twoByte[0x15] = OperandKind.Token;    // initobj
        s_twoByte[0x16] = OperandKind.Token;    // constrained.
        s_twoByte[0x19] = OperandKind.UInt8;    // no.
        s_twoByte[0x1C] = OperandKind.Token;    // sizeof
    }

    /// <summary>The operand kind of an opcode, or null when the opcode is not defined.</summary>
    /// <param name="opcode">A one-byte opcode (0x00-0xFF except 0xFE) or a two-byte one as 0xFExx.</param>
    public static OperandKind? GetOperandKind(ushort opcode) =>
        (opcode >> 8) switch
        {
            0 => s_oneByte[opcode],
            TwoBytePrefix => s_twoByte[opcode & 0xFF],
            _ => null,
        };

    /// <summary>The size in bytes of an operand of fixed size (not <see cref="OperandKind.Switch"/>).</summary>
    public static int FixedOperandSize(OperandKind kind) => kind switch
    {
        OperandKind.None => 0,
        OperandKind.UInt8 or OperandKind.Int8 or OperandKind.ShortBranch => 1,
        OperandKind.UInt16 => 2,
        OperandKind.Int32 or OperandKind.Float32 or OperandKind.Token or OperandKind.Branch => 4,
        OperandKind.Int64 or OperandKind.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>True for the prefixes that must stay glued to the instruction after them.</summary>
    public static bool IsPrefix(ushort opcode) =>
        opcode is 0xFE12 or 0xFE13 or 0xFE14 or 0xFE16 or 0xFE19 or 0xFE1E;

    /// <summary>The long form of a short branch (<c>br.s</c> → <c>br</c>, <c>leave.s</c> → <c>leave</c>).</summary>
    public static ushort LongFormOf(ushort shortBranch) => (ushort)((ILOpCode)shortBranch).GetLongBranch();
}
