using System.Buffers.Binary;
using System.Reflection.Metadata;

namespace Deep.Profiler.Rewriting;

/// <summary>
/// Writes CIL by name (<see cref="ILOpCode"/>, in-box in System.Reflection.Metadata) instead of raw bytes: the opcode's
/// encoding (one byte, or two for 0xFExx), its operand written at the size the operand kind has, and forward branches
/// whose displacement is filled in where they land, so no size is counted by hand.
/// </summary>
internal sealed class ILEmitter(int capacity = 32)
{
    private readonly List<byte> _code = new(capacity);

    /// <summary>Bytes written so far: the offset of the next instruction.</summary>
    public int Count => _code.Count;

    /// <summary>The code written.</summary>
    public byte[] ToArray() => _code.ToArray();

    /// <summary>An instruction without operand.</summary>
    public ILEmitter Op(ILOpCode op)
    {
        WriteOpCode(op);
        return this;
    }

    /// <summary>An instruction with a four-byte operand: <c>ldc.i4</c>, or a metadata token (<c>call</c>, <c>box</c>, <c>ldobj</c>, <c>initobj</c>).</summary>
    public ILEmitter Op(ILOpCode op, int operand)
    {
        WriteOpCode(op);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, operand);
        _code.AddRange(bytes);
        return this;
    }

    /// <summary>A variable instruction with its two-byte index (<c>ldloc</c>, <c>stloc</c>, <c>ldloca</c>, <c>ldarg</c>).</summary>
    public ILEmitter Op(ILOpCode op, ushort index)
    {
        WriteOpCode(op);
        _code.Add((byte)index);
        _code.Add((byte)(index >> 8));
        return this;
    }

    /// <summary>Appends code built elsewhere (self-contained: relative branches only).</summary>
    public ILEmitter Append(ReadOnlySpan<byte> code)
    {
        _code.AddRange(code);
        return this;
    }

    /// <summary>Loads an argument in its shortest form (<c>ldarg.0..3</c>, <c>ldarg.s</c>, <c>ldarg</c>).</summary>
    public ILEmitter LoadArgument(int index) =>
        index <= 3 ? Op((ILOpCode)((int)ILOpCode.Ldarg_0 + index))
        : index <= byte.MaxValue ? Op(ILOpCode.Ldarg_s).Byte(index)
        : Op(ILOpCode.Ldarg, (ushort)index);

    /// <summary>Loads a local in its shortest form (<c>ldloc.0..3</c>, <c>ldloc.s</c>, <c>ldloc</c>).</summary>
    public ILEmitter LoadLocal(int index) =>
        index <= 3 ? Op((ILOpCode)((int)ILOpCode.Ldloc_0 + index))
        : index <= byte.MaxValue ? Op(ILOpCode.Ldloc_s).Byte(index)
        : Op(ILOpCode.Ldloc, (ushort)index);

    /// <summary>
    /// A forward branch (short or long form, as given) whose target is not written yet: <see cref="Land"/> it where it
    /// goes. Returns the position of its displacement.
    /// </summary>
    public int Branch(ILOpCode op)
    {
        WriteOpCode(op);
        int at = _code.Count;
        for (int i = op.GetBranchOperandSize(); i > 0; i--)
            _code.Add(0);
        return at;
    }

    /// <summary>Lands the forward branch <paramref name="branch"/> (from <see cref="Branch"/>) here.</summary>
    public void Land(int branch, bool shortForm)
    {
        int size = shortForm ? 1 : 4;
        int displacement = _code.Count - (branch + size);
        if (shortForm)
        {
            if (displacement > sbyte.MaxValue)
                throw new InvalidILException($"a short branch cannot jump {displacement} bytes");
            _code[branch] = (byte)(sbyte)displacement;
            return;
        }
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, displacement);
        for (int i = 0; i < 4; i++)
            _code[branch + i] = bytes[i];
    }

    /// <summary>Lands <paramref name="branch"/>, emitted with <paramref name="op"/>, here.</summary>
    public void Land(int branch, ILOpCode op) => Land(branch, op.GetBranchOperandSize() == 1);

    /// <summary>The size in bytes of <paramref name="op"/> without its operand.</summary>
    public static int OpCodeSize(ILOpCode op) => (ushort)op > 0xFF ? 2 : 1;

    /// <summary>
    /// Writes a branch with a known target into <paramref name="code"/> at <paramref name="at"/> (displacement
    /// relative to the next instruction); returns where the next instruction starts.
    /// </summary>
    public static int WriteBranch(Span<byte> code, int at, ILOpCode op, int target)
    {
        int size = op.GetBranchOperandSize();
        int next = at + OpCodeSize(op) + size;
        WriteOpCode(code, at, op);
        int operandAt = next - size;
        if (size == 1)
            code[operandAt] = (byte)(sbyte)(target - next);
        else
            BinaryPrimitives.WriteInt32LittleEndian(code[operandAt..], target - next);
        return next;
    }

    /// <summary>The size of a branch instruction: opcode and displacement.</summary>
    public static int BranchSize(ILOpCode op) => OpCodeSize(op) + op.GetBranchOperandSize();

    /// <summary>Writes the encoding of <paramref name="op"/> into <paramref name="code"/> at <paramref name="at"/>; returns the operand's position.</summary>
    public static int WriteOpCode(Span<byte> code, int at, ILOpCode op)
    {
        ushort value = (ushort)op;
        if (value > 0xFF)
        {
            code[at++] = (byte)(value >> 8);
        }
        code[at++] = (byte)value;
        return at;
    }

    private ILEmitter Byte(int value)
    {
        _code.Add((byte)value);
        return this;
    }

    private void WriteOpCode(ILOpCode op)
    {
        ushort value = (ushort)op;
        if (value > 0xFF)
            _code.Add((byte)(value >> 8));
        _code.Add((byte)value);
    }
}
