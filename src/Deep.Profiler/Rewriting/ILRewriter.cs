using System.Buffers.Binary;
using System.Reflection.Metadata;
using Deep.Abi;

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
    private static readonly int StlocSize = ILEmitter.OpCodeSize(ILOpCode.Stloc) + 2;
    private static readonly int LeaveSize = ILEmitter.BranchSize(ILOpCode.Leave);

    // The handler of a filter that always answers 0 (the wrapper's, a wrapped line's): never entered.
    private static readonly byte[] s_neverEnteredHandler = new ILEmitter(3).Op(ILOpCode.Pop).Op(ILOpCode.Rethrow).ToArray();

    private static ILOpCode LongForm(ushort shortBranch) => (ILOpCode)OpCodeInfo.LongFormOf(shortBranch);

    /// <summary>Rewrites <paramref name="original"/>; throws <see cref="InvalidILException"/> when it cannot.</summary>
    public static RewriteResult Rewrite(MethodBody original, IReadOnlyList<ILInsertion> insertions, ExitWrap? wrap = null, LineRegions? lines = null)
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
                    throw new InvalidILException(new ProbeRefusal(RefusalCode.MethodUsesJmp, instr.Offset));
            }
        }
        var regions = PlanRegions(original, instructions, indexOf, lines, byOffset, ref stackNeed);
        var regionOf = new int[instructions.Count];
        Array.Fill(regionOf, -1);
        foreach (var r in regions)
        {
            for (int i = r.First; i <= r.Last; i++)
                regionOf[i] = r.Index;
        }

        // ret inside the wrapper: [stloc ret] leave EXIT.
        int retSize = wrap is null ? 1 : (wrap.ReturnLocal >= 0 ? StlocSize : 0) + LeaveSize;
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
                if (regionOf[i] >= 0 && regions[regionOf[i]].First == i)
                    regions[regionOf[i]].TryStart = pos;
                newOffset[i] = pos;
                pos += widened[i] ? ILEmitter.BranchSize(LongForm(instr.OpCode)) : instr.OpCode == 0x2A ? retSize : instr.Size;
                if (regionOf[i] >= 0 && regions[regionOf[i]].Last == i)
                    pos = regions[regionOf[i]].LayTail(pos);
            }
            newLength = pos;

            bool changed = false;
            for (int i = 0; i < instructions.Count; i++)
            {
                var instr = instructions[i];
                if (instr.Kind != OperandKind.ShortBranch || widened[i])
                    continue;
                int displacement = TargetOf(i, 0) - (newOffset[i] + 2);
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
        byte[] filterCode = [], finallyBlock = [], exitCode = [];
        if (wrap is not null)
        {
            // Never catch: the exception goes on unchanged.
            filterCode = new ILEmitter(8).Op(ILOpCode.Stloc, (ushort)wrap.ExceptionLocal).Op(ILOpCode.Ldc_i4_0).Op(ILOpCode.Endfilter).ToArray();
            finallyBlock = new ILEmitter(wrap.FinallyCode.Length + 1).Append(wrap.FinallyCode).Op(ILOpCode.Endfinally).ToArray();
            var exit = new ILEmitter(5);
            if (wrap.ReturnLocal >= 0)
                exit.Op(ILOpCode.Ldloc, (ushort)wrap.ReturnLocal);
            exitCode = exit.Op(ILOpCode.Ret).ToArray();
        }
        int filterAt = newLength;
        int handlerAt = filterAt + filterCode.Length;
        int finallyAt = handlerAt + s_neverEnteredHandler.Length;
        int exitAt = wrap is null ? newLength : finallyAt + finallyBlock.Length;
        int totalLength = wrap is null ? newLength : exitAt + exitCode.Length;

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
                    ILEmitter.WriteBranch(span, o, LongForm(OpCodeOf(i)), TargetOf(i, 0));
                    break;
                case OperandKind.ShortBranch or OperandKind.Branch:
                    ILEmitter.WriteBranch(span, o, (ILOpCode)OpCodeOf(i), TargetOf(i, 0));
                    break;
                case OperandKind.Switch:
                {
                    code[o] = (byte)instr.OpCode;
                    BinaryPrimitives.WriteInt32LittleEndian(span[(o + 1)..], instr.Targets.Length);
                    int end = o + instr.Size;
                    for (int t = 0; t < instr.Targets.Length; t++)
                        BinaryPrimitives.WriteInt32LittleEndian(span[(o + 5 + t * 4)..], TargetOf(i, t) - end);
                    break;
                }
                case OperandKind.None when wrap is not null && instr.OpCode == 0x2A:
                {
                    // ret: keep the value and leave through the finally to the one real ret.
                    int at = o;
                    if (wrap.ReturnLocal >= 0)
                    {
                        at = ILEmitter.WriteOpCode(span, at, ILOpCode.Stloc);
                        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)wrap.ReturnLocal);
                        at += 2;
                    }
                    ILEmitter.WriteBranch(span, at, ILOpCode.Leave, exitAt);
                    break;
                }
                case OperandKind.None when wrap is not null && instr.OpCode == 0xFE14:
                    // tail. cannot leave a protected region: the call becomes an ordinary call (two nops keep the size).
                    code[o] = (byte)ILOpCode.Nop;
                    code[o + 1] = (byte)ILOpCode.Nop;
                    break;
                default:
                    // Position-independent: copy the bytes as they were.
                    original.Code.AsSpan(instr.Offset, instr.Size).CopyTo(span[o..]);
                    break;
            }
            if (regionOf[i] >= 0 && regions[regionOf[i]].Last == i)
                regions[regionOf[i]].WriteTail(span, Map);
        }

        var clauses = new List<ExceptionClause>(original.Clauses.Count + regions.Count);
        var lineClauseAt = new int[regions.Count];
        Array.Fill(lineClauseAt, -1);
        foreach (var c in original.Clauses)
        {
            // A line's clause goes before the first clause that encloses the line (inner clauses first, ECMA-335 II.19).
            foreach (var r in regions)
            {
                if (lineClauseAt[r.Index] < 0 && r.IsInside(c))
                    lineClauseAt[r.Index] = clauses.Count;
            }
            var inLine = regions.FirstOrDefault(r => r.Holds(c));
            int tryStart = inLine is not null && c.TryOffset == inLine.Line.StartOffset ? inLine.TryStart : Map(c.TryOffset);
            int handlerStart = Map(c.HandlerOffset);
            clauses.Add(c with
            {
                TryOffset = tryStart,
                TryLength = MapEnd(c.TryOffset + c.TryLength, inLine) - tryStart,
                HandlerOffset = handlerStart,
                HandlerLength = MapEnd(c.HandlerOffset + c.HandlerLength, inLine) - handlerStart,
                ClassTokenOrFilterOffset = c.Kind == ExceptionClauseKind.Filter ? Map(c.ClassTokenOrFilterOffset) : c.ClassTokenOrFilterOffset,
            });
        }
        // Insert from the last position backwards so earlier positions stay valid; several lines at one position keep
        // their order (they are disjoint, so any order is valid).
        foreach (var r in regions.OrderByDescending(r => lineClauseAt[r.Index] < 0 ? int.MaxValue : lineClauseAt[r.Index]).ThenByDescending(r => r.Index))
        {
            int at = lineClauseAt[r.Index] < 0 ? clauses.Count : lineClauseAt[r.Index];
            clauses.Insert(at, r.Clause());
        }

        if (wrap is not null)
        {
            filterCode.CopyTo(span[filterAt..]);
            s_neverEnteredHandler.CopyTo(span[handlerAt..]);
            finallyBlock.CopyTo(span[finallyAt..]);
            exitCode.CopyTo(span[exitAt..]);
            // Ours are the outermost clauses: after the method's own (inner first), the filter, then the finally.
            clauses.Add(new ExceptionClause(ExceptionClauseKind.Filter, codeStart, filterAt - codeStart, handlerAt, finallyAt - handlerAt, filterAt));
            clauses.Add(new ExceptionClause(ExceptionClauseKind.Finally, codeStart, finallyAt - codeStart, finallyAt, exitAt - finallyAt, 0));
        }

        var offsets = new Dictionary<int, int>(instructions.Count + 1);
        for (int i = 0; i < instructions.Count; i++)
            offsets[instructions[i].Offset] = newOffset[i];
        offsets[original.Code.Length] = newLength;

        var body = new MethodBody(code, original.MaxStack + stackNeed, wrap?.Locals ?? lines?.LocalsToken ?? original.LocalVarSigToken, original.InitLocals, clauses);
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

        // The end of a clause held by a line that ends where the line does: before the line's tail (its filter and handler).
        int MapEnd(int end, WrappedLine? inLine) =>
            inLine is not null && end == inLine.Line.EndOffset ? inLine.TailStart : Map(end);

        // A branch target as rewritten: inside a wrapped line, a jump to the line's start stays in the try, a jump to
        // the after-line offset leaves to the completion probes, and a conditional jump out goes through a leave stub.
        int TargetOf(int i, int t)
        {
            int target = instructions[i].Targets[t];
            if (regionOf[i] < 0)
                return Map(target);
            var r = regions[regionOf[i]];
            if (target == r.Line.StartOffset)
                return r.TryStart;
            if (target > r.Line.StartOffset && target < r.Line.EndOffset)
                return Map(target);
            if (instructions[i].OpCode is 0x2B or 0x38 or 0xDD or 0xDE)
                return r.LeaveTarget(target, Map);
            return r.StubFor(target);
        }

        // br / br.s out of a wrapped line become leave / leave.s (same size).
        ushort OpCodeOf(int i)
        {
            var instr = instructions[i];
            if (regionOf[i] < 0 || instr.OpCode is not (0x2B or 0x38))
                return instr.OpCode;
            var r = regions[regionOf[i]];
            int target = instr.Targets[0];
            bool inside = target >= r.Line.StartOffset && target < r.Line.EndOffset;
            return inside ? instr.OpCode : instr.OpCode == 0x2B ? (ushort)0xDE : (ushort)0xDD;
        }

        void CheckBoundary(int offset, string what)
        {
            if (offset != original.Code.Length && !indexOf.ContainsKey(offset))
                throw new InvalidILException($"exception clause {what} IL_{offset:X4} is not an instruction boundary");
        }
    }

    /// <summary>
    /// Checks the lines to wrap (throws <see cref="InvalidILException"/> with the reason), adds each one's prologue as
    /// the last insertion at its first instruction, and works out its tail: the leave stubs of its conditional jumps out.
    /// </summary>
    private static List<WrappedLine> PlanRegions(MethodBody original, List<Instruction> instructions, Dictionary<int, int> indexOf,
        LineRegions? lines, Dictionary<int, List<ILInsertion>> byOffset, ref int stackNeed)
    {
        var result = new List<WrappedLine>();
        if (lines is null || lines.Regions.Count == 0)
            return result;
        int[]? depths = null;
        int[] Depths() => depths ??= StackDepths.Compute(instructions, original.Clauses, lines.Calls);
        var ordered = lines.Regions.OrderBy(r => r.StartOffset).ToList();
        for (int k = 1; k < ordered.Count; k++)
        {
            if (ordered[k].StartOffset < ordered[k - 1].EndOffset)
                throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LinesOverlap, ordered[k].StartOffset, ordered[k].EndOffset, ordered[k - 1].StartOffset, ordered[k - 1].EndOffset));
        }
        foreach (var line in ordered)
        {
            LineCapture.Check(line, instructions, indexOf, original.Clauses, lines.Calls, Depths);
            int first = indexOf[line.StartOffset];
            int last = first;
            while (last + 1 < instructions.Count && instructions[last + 1].Offset < line.EndOffset)
                last++;
            bool fallsThrough = LineCapture.FallsThrough(instructions[last].OpCode);
            bool completes = fallsThrough;
            var stubs = new List<int>();
            for (int i = first; i <= last; i++)
            {
                var instr = instructions[i];
                foreach (int target in instr.Targets)
                {
                    bool outside = target < line.StartOffset || target >= line.EndOffset;
                    if (target == line.EndOffset)
                        completes = true;
                    if (outside && instr.OpCode is not (0x2B or 0x38 or 0xDD or 0xDE) && !stubs.Contains(target))
                        stubs.Add(target);
                }
            }
            // The after-line offset ends a try or handler block that holds the line (a catch's last line: `leave` to the
            // instruction after the handler): only a leave reaches it from the line, and the completion probes, inside
            // that block, must leave it too instead of falling out of its end.
            bool endsBlock = original.Clauses.Any(c =>
                (c.TryOffset <= line.StartOffset && c.TryOffset + c.TryLength == line.EndOffset)
                || (c.HandlerOffset <= line.StartOffset && c.HandlerOffset + c.HandlerLength == line.EndOffset));
            if (!byOffset.TryGetValue(line.StartOffset, out var list))
                byOffset[line.StartOffset] = list = [];
            list.Add(new ILInsertion(line.StartOffset, line.Prologue, line.StackNeed));
            stackNeed = Math.Max(stackNeed, line.StackNeed);
            result.Add(new WrappedLine(result.Count, line, first, last, fallsThrough, completes, stubs, endsBlock));
        }
        return result;
    }

    /// <summary>
    /// A wrapped line as laid out: <c>prologue; .try { line; [leave COMPLETION]; (leave target)* } filter { ... }
    /// { pop; rethrow } COMPLETION: [probes [leave AFTER]]</c>, then the after-line instruction with its own insertions.
    /// The completion probes end with <c>leave AFTER</c> when the after-line offset ends a block holding the line
    /// (<paramref name="endsBlock"/>): control may not fall out of a try or handler block.
    /// </summary>
    private sealed class WrappedLine(int index, LineRegion region, int first, int last, bool fallsThrough, bool completes, List<int> stubs, bool endsBlock)
    {
        public int Index => index;
        public LineRegion Line => region;
        public int First => first;
        public int Last => last;
        public int TryStart { get; set; }
        public int TailStart { get; private set; }
        private int _stubsAt, _tryEnd, _handlerAt, _completionAt;

        /// <summary>Lays out the tail after the line's last instruction at <paramref name="pos"/>; returns where it ends.</summary>
        public int LayTail(int pos)
        {
            TailStart = pos;
            if (fallsThrough)
                pos += LeaveSize;                       // leave COMPLETION
            _stubsAt = pos;
            pos += LeaveSize * stubs.Count;             // leave <target> each
            _tryEnd = pos;
            pos += region.FilterCode.Length;
            _handlerAt = pos;
            pos += s_neverEnteredHandler.Length;
            _completionAt = pos;
            if (completes)
                pos += region.CompletionCode.Length + (endsBlock ? LeaveSize : 0);
            return pos;
        }

        public void WriteTail(Span<byte> code, Func<int, int> map)
        {
            int at = TailStart;
            if (fallsThrough)
                at = WriteLeave(code, at, _completionAt);
            foreach (int target in stubs)
                at = WriteLeave(code, at, LeaveTarget(target, map));
            region.FilterCode.CopyTo(code[at..]);
            at += region.FilterCode.Length;
            s_neverEnteredHandler.CopyTo(code[at..]);   // the filter answers 0
            at += s_neverEnteredHandler.Length;
            if (completes)
            {
                region.CompletionCode.CopyTo(code[at..]);
                at += region.CompletionCode.Length;
                if (endsBlock)
                    WriteLeave(code, at, map(region.EndOffset));
            }
        }

        /// <summary>Where a jump out of the line goes: the completion probes for the after-line offset, else the target.</summary>
        public int LeaveTarget(int target, Func<int, int> map) => target == region.EndOffset ? _completionAt : map(target);

        public int StubFor(int target) => _stubsAt + LeaveSize * stubs.IndexOf(target);

        /// <summary>The line lies inside one of the clause's blocks: the line's clause must come first.</summary>
        public bool IsInside(ExceptionClause c) =>
            Encloses(c.TryOffset, c.TryOffset + c.TryLength) || Encloses(c.HandlerOffset, c.HandlerOffset + c.HandlerLength)
            || (c.Kind == ExceptionClauseKind.Filter && Encloses(c.ClassTokenOrFilterOffset, c.HandlerOffset));

        /// <summary>The whole try statement of the clause is on the line (and does not enclose it).</summary>
        public bool Holds(ExceptionClause c) =>
            !IsInside(c) && c.TryOffset >= region.StartOffset && c.TryOffset + c.TryLength <= region.EndOffset
            && c.HandlerOffset >= region.StartOffset && c.HandlerOffset + c.HandlerLength <= region.EndOffset;

        public ExceptionClause Clause() =>
            new(ExceptionClauseKind.Filter, TryStart, _tryEnd - TryStart, _handlerAt, s_neverEnteredHandler.Length, _tryEnd);

        private bool Encloses(int start, int end) => start <= region.StartOffset && region.EndOffset <= end;

        private static int WriteLeave(Span<byte> code, int at, int target) => ILEmitter.WriteBranch(code, at, ILOpCode.Leave, target);
    }
}
