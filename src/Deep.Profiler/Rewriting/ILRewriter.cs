using System.Buffers.Binary;

namespace Deep.Profiler.Rewriting;

/// <summary>
/// Code to insert before the instruction at <paramref name="ILOffset"/>. <paramref name="Code"/> must be
/// self-contained and relocatable: its branches stay inside it (relative displacements), and it falls through
/// at its end into the original instruction. It must leave the evaluation stack as it found it.
/// </summary>
/// <param name="ILOffset">The original offset of the instruction to run the code before.</param>
/// <param name="Code">The IL bytes.</param>
/// <param name="StackNeed">How many stack slots the code pushes at most, on top of what is there.</param>
internal sealed record ILInsertion(int ILOffset, byte[] Code, int StackNeed);

/// <summary>The rewritten body and where everything went.</summary>
/// <param name="Body">The new body.</param>
/// <param name="NewOffsets">Original instruction offset → its new offset (the code end maps to the new end).</param>
/// <param name="InsertionOffsets">Original offset with insertions → the new offset of the first inserted byte.</param>
internal sealed record RewriteResult(MethodBody Body, IReadOnlyDictionary<int, int> NewOffsets, IReadOnlyDictionary<int, int> InsertionOffsets);

/// <summary>
/// Wraps the whole body so that every exit reaches <paramref name="FinallyCode"/> (probe-abi.md §1, "exit hooks"):
/// <c>Prologue; .try { .try { body } filter { stloc exc; ldc.i4.0; endfilter } { pop; rethrow } } finally { FinallyCode;
/// endfinally } EXIT: [ldloc ret] ret</c>, each <c>ret</c> of the body becoming <c>[stloc ret] leave EXIT</c> and each
/// <c>tail.</c> prefix two <c>nop</c>s (a tail call cannot leave a protected region).
/// </summary>
/// <param name="Prologue">Runs before the protected region (initialises the wrapper's locals); falls through.</param>
/// <param name="FinallyCode">Runs in the <c>finally</c>, on every exit path; falls through (endfinally is added).</param>
/// <param name="ReturnLocal">The local that holds the return value, or -1 for a void method.</param>
/// <param name="ExceptionLocal">The local (type object) the filter stores a leaving exception in.</param>
/// <param name="Locals">The new local signature token (the original locals plus the wrapper's).</param>
/// <param name="StackNeed">Stack the prologue and finally code need at most.</param>
internal sealed record ExitWrap(byte[] Prologue, byte[] FinallyCode, int ReturnLocal, int ExceptionLocal, int Locals, int StackNeed);

/// <summary>
/// Inserts code before given instructions of a method body: re-lays the code, widens short branches whose
/// displacement no longer fits, sends branches that targeted a probed instruction to the inserted code (a loop's
/// back-edge to a probed line runs the probe each time), remaps every exception clause so that code inserted at the
/// first instruction of a try, handler or filter lies inside it, and adds the inserted code's stack need to
/// <c>maxstack</c>. The locals signature and flags are kept.
/// </summary>
internal static class ILRewriter
{
    /// <summary>Rewrites <paramref name="original"/>; throws <see cref="InvalidILException"/> when it cannot.</summary>
    public static RewriteResult Rewrite(MethodBody original, IReadOnlyList<ILInsertion> insertions, ExitWrap? wrap = null)
    {
        var instructions = ILDecoder.Decode(original.Code);
        var indexOf = new Dictionary<int, int>(instructions.Count);
        for (int i = 0; i < instructions.Count; i++)
            indexOf[instructions[i].Offset] = i;

        // Group the insertions by offset, keeping the caller's order at one offset.
        var byOffset = new Dictionary<int, List<ILInsertion>>();
        int stackNeed = 0;
        foreach (var ins in insertions)
        {
            if (!indexOf.TryGetValue(ins.ILOffset, out int at))
                throw new InvalidILException($"IL offset {ins.ILOffset} is not the start of an instruction of this method");
            if (at > 0 && OpCodeInfo.IsPrefix(instructions[at - 1].OpCode))
                throw new InvalidILException($"IL offset {ins.ILOffset} follows a prefix instruction; code cannot be inserted there");
            if (!byOffset.TryGetValue(ins.ILOffset, out var list))
                byOffset[ins.ILOffset] = list = [];
            list.Add(ins);
            stackNeed = Math.Max(stackNeed, ins.StackNeed);
        }

        foreach (var c in original.Clauses)
        {
            CheckBoundary(c.TryOffset, "try start");
            CheckBoundary(c.TryOffset + c.TryLength, "try end");
            CheckBoundary(c.HandlerOffset, "handler start");
            CheckBoundary(c.HandlerOffset + c.HandlerLength, "handler end");
            if (c.Kind == ExceptionClauseKind.Filter)
                CheckBoundary(c.ClassTokenOrFilterOffset, "filter start");
        }

        if (wrap is not null)
        {
            stackNeed = Math.Max(stackNeed, Math.Max(wrap.StackNeed, 2));
            foreach (var instr in instructions)
            {
                if (instr.OpCode == 0x27)
                    throw new InvalidILException($"the method uses jmp (IL_{instr.Offset:X4}), which cannot leave a protected region: exit hooks cannot wrap it");
            }
        }
        // ret inside the wrapper: [stloc ret (FE 0E u16)] leave EXIT (DD i32).
        int retSize = wrap is null ? 1 : (wrap.ReturnLocal >= 0 ? 4 : 0) + 5;
        int codeStart = wrap?.Prologue.Length ?? 0;

        // Lay out until no short branch needs widening; widening only grows the code, so this ends.
        var widened = new bool[instructions.Count];
        var newOffset = new int[instructions.Count];
        var insertionStart = new Dictionary<int, int>();
        int newLength;
        while (true)
        {
            int pos = codeStart;
            for (int i = 0; i < instructions.Count; i++)
            {
                var instr = instructions[i];
                if (byOffset.TryGetValue(instr.Offset, out var list))
                {
                    insertionStart[instr.Offset] = pos;
                    foreach (var ins in list)
                        pos += ins.Code.Length;
                }
                newOffset[i] = pos;
                pos += widened[i] ? 5 : instr.OpCode == 0x2A ? retSize : instr.Size;
            }
            newLength = pos;

            bool changed = false;
            for (int i = 0; i < instructions.Count; i++)
            {
                var instr = instructions[i];
                if (instr.Kind != OperandKind.ShortBranch || widened[i])
                    continue;
                int displacement = Map(instr.Targets[0]) - (newOffset[i] + 2);
                if (displacement is < sbyte.MinValue or > sbyte.MaxValue)
                {
                    widened[i] = true;
                    changed = true;
                }
            }
            if (!changed)
                break;
        }

        // The wrapper's tail: filter, its (never entered) handler, finally, and the single real ret.
        int filterAt = newLength;
        int handlerAt = filterAt + 7;                       // stloc exc (FE 0E u16); ldc.i4.0 (16); endfilter (FE 11)
        int finallyAt = handlerAt + 3;                      // pop (26); rethrow (FE 1A)
        int exitAt = wrap is null ? newLength : finallyAt + wrap.FinallyCode.Length + 1; // + endfinally (DC)
        int totalLength = wrap is null ? newLength : exitAt + (wrap.ReturnLocal >= 0 ? 4 : 0) + 1;

        var code = new byte[totalLength];
        var span = code.AsSpan();
        wrap?.Prologue.CopyTo(span);
        for (int i = 0; i < instructions.Count; i++)
        {
            var instr = instructions[i];
            if (byOffset.TryGetValue(instr.Offset, out var list))
            {
                int at = insertionStart[instr.Offset];
                foreach (var ins in list)
                {
                    ins.Code.CopyTo(span[at..]);
                    at += ins.Code.Length;
                }
            }
            int o = newOffset[i];
            switch (instr.Kind)
            {
                case OperandKind.ShortBranch when widened[i]:
                    code[o] = (byte)OpCodeInfo.LongFormOf(instr.OpCode);
                    BinaryPrimitives.WriteInt32LittleEndian(span[(o + 1)..], Map(instr.Targets[0]) - (o + 5));
                    break;
                case OperandKind.ShortBranch:
                    code[o] = (byte)instr.OpCode;
                    code[o + 1] = (byte)(sbyte)(Map(instr.Targets[0]) - (o + 2));
                    break;
                case OperandKind.Branch:
                    code[o] = (byte)instr.OpCode;
                    BinaryPrimitives.WriteInt32LittleEndian(span[(o + 1)..], Map(instr.Targets[0]) - (o + 5));
                    break;
                case OperandKind.Switch:
                {
                    code[o] = (byte)instr.OpCode;
                    BinaryPrimitives.WriteInt32LittleEndian(span[(o + 1)..], instr.Targets.Length);
                    int end = o + instr.Size;
                    for (int t = 0; t < instr.Targets.Length; t++)
                        BinaryPrimitives.WriteInt32LittleEndian(span[(o + 5 + t * 4)..], Map(instr.Targets[t]) - end);
                    break;
                }
                case OperandKind.None when wrap is not null && instr.OpCode == 0x2A:
                {
                    // ret: keep the value and leave through the finally to the one real ret.
                    int at = o;
                    if (wrap.ReturnLocal >= 0)
                    {
                        code[at] = 0xFE;
                        code[at + 1] = 0x0E;
                        BinaryPrimitives.WriteUInt16LittleEndian(span[(at + 2)..], (ushort)wrap.ReturnLocal);
                        at += 4;
                    }
                    code[at] = 0xDD;
                    BinaryPrimitives.WriteInt32LittleEndian(span[(at + 1)..], exitAt - (at + 5));
                    break;
                }
                case OperandKind.None when wrap is not null && instr.OpCode == 0xFE14:
                    // tail. cannot leave a protected region: the call becomes an ordinary call (two nops keep the size).
                    code[o] = 0x00;
                    code[o + 1] = 0x00;
                    break;
                default:
                    // Position-independent: copy the bytes as they were.
                    original.Code.AsSpan(instr.Offset, instr.Size).CopyTo(span[o..]);
                    break;
            }
        }

        var clauses = new List<ExceptionClause>(original.Clauses.Count);
        foreach (var c in original.Clauses)
        {
            int tryStart = Map(c.TryOffset);
            int handlerStart = Map(c.HandlerOffset);
            clauses.Add(c with
            {
                TryOffset = tryStart,
                TryLength = Map(c.TryOffset + c.TryLength) - tryStart,
                HandlerOffset = handlerStart,
                HandlerLength = Map(c.HandlerOffset + c.HandlerLength) - handlerStart,
                ClassTokenOrFilterOffset = c.Kind == ExceptionClauseKind.Filter ? Map(c.ClassTokenOrFilterOffset) : c.ClassTokenOrFilterOffset,
            });
        }

        if (wrap is not null)
        {
            int at = filterAt;
            code[at++] = 0xFE; code[at++] = 0x0E;          // stloc exc
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)wrap.ExceptionLocal);
            at += 2;
            code[at++] = 0x16;                              // ldc.i4.0: never catch, the exception goes on unchanged
            code[at++] = 0xFE; code[at++] = 0x11;          // endfilter
            code[at++] = 0x26;                              // pop (unreachable handler)
            code[at++] = 0xFE; code[at++] = 0x1A;          // rethrow
            wrap.FinallyCode.CopyTo(span[at..]);
            at += wrap.FinallyCode.Length;
            code[at++] = 0xDC;                              // endfinally
            if (wrap.ReturnLocal >= 0)
            {
                code[at++] = 0xFE; code[at++] = 0x0C;      // ldloc ret
                BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)wrap.ReturnLocal);
                at += 2;
            }
            code[at] = 0x2A;                                // ret
            // Ours are the outermost clauses: after the method's own (inner first), the filter, then the finally.
            clauses.Add(new ExceptionClause(ExceptionClauseKind.Filter, codeStart, filterAt - codeStart, handlerAt, finallyAt - handlerAt, filterAt));
            clauses.Add(new ExceptionClause(ExceptionClauseKind.Finally, codeStart, finallyAt - codeStart, finallyAt, exitAt - finallyAt, 0));
        }

        var offsets = new Dictionary<int, int>(instructions.Count + 1);
        for (int i = 0; i < instructions.Count; i++)
            offsets[instructions[i].Offset] = newOffset[i];
        offsets[original.Code.Length] = newLength;

        var body = new MethodBody(code, original.MaxStack + stackNeed, wrap?.Locals ?? original.LocalVarSigToken, original.InitLocals, clauses);
        return new RewriteResult(body, offsets, new Dictionary<int, int>(insertionStart));

        // Where control that went to original offset `target` goes now: inserted code first, when there is some.
        int Map(int target)
        {
            if (insertionStart.TryGetValue(target, out int start))
                return start;
            if (target == original.Code.Length)
                return newLength;
            return newOffset[indexOf[target]];
        }

        void CheckBoundary(int offset, string what)
        {
            if (offset != original.Code.Length && !indexOf.ContainsKey(offset))
                throw new InvalidILException($"exception clause {what} IL_{offset:X4} is not an instruction boundary");
        }
    }
}
