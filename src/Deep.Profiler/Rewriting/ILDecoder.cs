using System.Buffers.Binary;

namespace Deep.Profiler.Rewriting;

/// <summary>One decoded CIL instruction.</summary>
/// <param name="Offset">Its offset in the code.</param>
/// <param name="OpCode">The opcode: one byte, or 0xFExx for two-byte opcodes.</param>
/// <param name="Kind">Its operand kind.</param>
/// <param name="Size">Its size in bytes, opcode and operand.</param>
/// <param name="Operand">The raw operand (sign-extended for branches and signed kinds; bits for floats).</param>
/// <param name="Targets">Absolute branch targets: one for a branch, N for a switch, none otherwise.</param>
internal readonly record struct Instruction(int Offset, ushort OpCode, OperandKind Kind, int Size, long Operand, int[] Targets)
{
    /// <summary>The size of the opcode alone (1 or 2 bytes).</summary>
    public int OpCodeSize => OpCode > 0xFF ? 2 : 1;

    /// <summary>Whether this is a branch, a leave or a switch.</summary>
    public bool IsBranch => Kind is OperandKind.Branch or OperandKind.ShortBranch or OperandKind.Switch;
}

/// <summary>Decodes a CIL byte stream into instructions; every opcode of ECMA-335 partition III.</summary>
internal static class ILDecoder
{
    /// <summary>Decodes all of <paramref name="code"/>; throws <see cref="InvalidILException"/> on bad input.</summary>
    public static List<Instruction> Decode(ReadOnlySpan<byte> code)
    {
        var result = new List<Instruction>(code.Length / 2 + 1);
        int pos = 0;
        while (pos < code.Length)
        {
            int start = pos;
            ushort opcode = code[pos++];
            if (opcode == OpCodeInfo.TwoBytePrefix)
            {
                if (pos >= code.Length)
                    throw new InvalidILException($"truncated two-byte opcode at IL_{start:X4}");
                opcode = (ushort)(0xFE00 | code[pos++]);
            }
            var kind = OpCodeInfo.GetOperandKind(opcode)
                ?? throw new InvalidILException($"undefined opcode 0x{opcode:X2} at IL_{start:X4}");

            long operand = 0;
            int[] targets = [];
            if (kind == OperandKind.Switch)
            {
                if (pos + 4 > code.Length)
                    throw new InvalidILException($"truncated switch at IL_{start:X4}");
                uint count = BinaryPrimitives.ReadUInt32LittleEndian(code[pos..]);
                pos += 4;
                if (count > (uint)(code.Length - pos) / 4)
                    throw new InvalidILException($"switch at IL_{start:X4} announces {count} targets that do not fit the code");
                int end = pos + (int)count * 4;
                targets = new int[count];
                for (int i = 0; i < count; i++)
                    targets[i] = end + BinaryPrimitives.ReadInt32LittleEndian(code[(pos + i * 4)..]);
                operand = count;
                pos = end;
            }
            else
            {
                int size = OpCodeInfo.FixedOperandSize(kind);
                if (pos + size > code.Length)
                    throw new InvalidILException($"truncated operand of opcode 0x{opcode:X2} at IL_{start:X4}");
                var o = code.Slice(pos, size);
                operand = kind switch
                {
                    OperandKind.None => 0,
                    OperandKind.UInt8 => o[0],
                    OperandKind.Int8 or OperandKind.ShortBranch => (sbyte)o[0],
                    OperandKind.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(o),
                    OperandKind.Int32 or OperandKind.Float32 or OperandKind.Token or OperandKind.Branch => BinaryPrimitives.ReadInt32LittleEndian(o),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(o),
                };
                pos += size;
                if (kind is OperandKind.Branch or OperandKind.ShortBranch)
                    targets = [pos + (int)operand];
            }
            result.Add(new Instruction(start, opcode, kind, pos - start, operand, targets));
        }

        // Every branch must land on an instruction boundary (or the end of the code for fall-off checks).
        var starts = new HashSet<int>(result.Count + 1) { code.Length };
        foreach (var i in result)
            starts.Add(i.Offset);
        foreach (var i in result)
        {
            foreach (int t in i.Targets)
            {
                if (!starts.Contains(t))
                    throw new InvalidILException($"branch at IL_{i.Offset:X4} targets IL_{t:X4}, which is not the start of an instruction");
            }
        }
        return result;
    }
}
