using System.Reflection.Metadata;
using Deep.Abi;

namespace Deep.Profiler.Rewriting;

/// <summary>
/// One line wrapped for <c>line_capture</c> (probe-abi.md §1, "Line capture"): the original instructions in
/// [<paramref name="StartOffset"/>, <paramref name="EndOffset"/>) become a try block with a filter that runs the
/// probes on an exception leaving the line and returns false.
/// </summary>
/// <param name="StartOffset">The line's first instruction (original offset).</param>
/// <param name="EndOffset">The after-line offset: where the next sequence point begins.</param>
/// <param name="Prologue">Runs before the try (after the other insertions at the start): reads the start time.</param>
/// <param name="FilterCode">The whole filter block: from <c>stloc exc</c> to <c>endfilter</c>.</param>
/// <param name="CompletionCode">Runs when the line completed (its try left towards the after-line offset).</param>
/// <param name="StackNeed">Stack the three need at most.</param>
internal sealed record LineRegion(int StartOffset, int EndOffset, byte[] Prologue, byte[] FilterCode, byte[] CompletionCode, int StackNeed);

/// <summary>The lines to wrap in one method, the local signature with their locals, and the call signatures to follow the stack.</summary>
internal sealed record LineRegions(IReadOnlyList<LineRegion> Regions, int LocalsToken, ICallSignatures Calls);

/// <summary>Builds the code of a <c>line_capture</c> region and checks that a line can be wrapped.</summary>
internal static class LineCapture
{
    /// <summary>
    /// Appends two locals per region (<c>object exc</c>, <c>int64 start</c>) to <paramref name="signature"/> (null: no locals yet).
    /// Returns the first new local's index and the new signature.
    /// </summary>
    public static (int First, byte[] Signature) AppendLocals(byte[]? signature, int regions)
    {
        var (count, types) = SignatureParser.SplitLocals(signature);
        for (int i = 0; i < regions; i++)
        {
            types.Add(ElementType.Object);
            types.Add(ElementType.I8);
        }
        return (count, SignatureParser.JoinLocals(count + 2 * regions, types, "the line capture's locals"));
    }

    /// <summary>The region for the probes of one line (all with the same start and end offsets).</summary>
    public static LineRegion Build(int start, int end, IReadOnlyList<ProbeRequest> probes, int exceptionLocal, int startLocal, MethodContext method, IProbeTokens tokens)
    {
        if (end <= start)
            throw new InvalidILException($"line capture from IL_{start:X4} to IL_{end:X4}: the line has no code before its end");
        var hooks = new HookLocals(-1, exceptionLocal, startLocal, -1);
        // The start time is read only when it can be used (probe-abi.md §1, as the exit hooks do): a start of 0 makes
        // ElapsedNanos answer -1 and the runtime skips that hit.
        var prologue = new ILEmitter(16);
        ProbeCode.EmitTimestampIfAny(prologue, probes.Select(p => p.ProbeId).ToList(), tokens);
        prologue.Op(ILOpCode.Stloc, (ushort)startLocal);

        var filter = new ILEmitter(64);
        filter.Op(ILOpCode.Stloc, (ushort)exceptionLocal);          // the exception the filter was given
        ProbeCode.EmitElapsedInPlace(filter, startLocal, tokens);   // the duration, before any value is captured
        var completion = new ILEmitter(64);
        completion.Op(ILOpCode.Ldnull).Op(ILOpCode.Stloc, (ushort)exceptionLocal);   // the line completed
        ProbeCode.EmitElapsedInPlace(completion, startLocal, tokens);
        int stackNeed = 2;
        foreach (var probe in probes)
        {
            var code = ProbeCode.Build(probe with { ILOffset = 0, Kind = InsertionKind.Probe }, method, tokens, hooks);
            filter.Append(code.Code);
            completion.Append(code.Code);
            stackNeed = Math.Max(stackNeed, code.StackNeed);
        }
        filter.Op(ILOpCode.Ldc_i4_0).Op(ILOpCode.Endfilter);        // never handle: the exception goes on
        return new LineRegion(start, end, prologue.ToArray(), filter.ToArray(), completion.ToArray(), stackNeed);
    }

    /// <summary>
    /// Refuses a line that cannot be one protected region (ECMA-335 II.19, III.1.7.5), saying why. Checked: the range
    /// is whole instructions; no <c>ret</c>, <c>jmp</c>, <c>tail.</c>, <c>endfinally</c> or <c>endfilter</c> in it; it is not in a
    /// filter; no exception-handling region overlaps it partly; nothing outside it jumps into its middle; the stack is
    /// empty at its start, at each jump that leaves it (which becomes a <c>leave</c>) and where it falls through at its end.
    /// </summary>
    public static void Check(LineRegion region, IReadOnlyList<Instruction> instructions, IReadOnlyDictionary<int, int> indexOf,
        IReadOnlyList<ExceptionClause> clauses, ICallSignatures calls, Func<int[]> depths)
    {
        int s = region.StartOffset, e = region.EndOffset;
        if (!indexOf.ContainsKey(s))
            throw new InvalidILException($"line capture: IL_{s:X4} is not the start of an instruction");
        if (!indexOf.ContainsKey(e) && e != LastEnd(instructions))
            throw new InvalidILException($"line capture: IL_{e:X4} is not the start of an instruction");
        if (e <= s)
            throw new InvalidILException($"line capture: the line's code (IL_{s:X4} to IL_{e:X4}) is empty");

        foreach (var c in clauses)
        {
            if (c.Kind == ExceptionClauseKind.Filter && s >= c.ClassTokenOrFilterOffset && e <= c.HandlerOffset)
                throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LineInFilter, s, e));
            var regions = new List<(int Start, int End, TryBlockKind What)>
            {
                (c.TryOffset, c.TryOffset + c.TryLength, TryBlockKind.Try),
                (c.HandlerOffset, c.HandlerOffset + c.HandlerLength, TryBlockKind.Handler),
            };
            if (c.Kind == ExceptionClauseKind.Filter)
                regions.Add((c.ClassTokenOrFilterOffset, c.HandlerOffset, TryBlockKind.Filter));
            int inside = 0, outside = 0;
            foreach (var (start, end, what) in regions)
            {
                bool disjoint = end <= s || start >= e;
                bool contains = start <= s && e <= end;
                bool contained = s <= start && end <= e;
                if (!disjoint && !contains && !contained)
                    throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LinePartlyOverlapsBlock, s, e, start, end, (int)what));
                if (contained && !contains)
                    inside++;
                else if (disjoint)
                    outside++;
            }
            if (inside > 0 && outside > 0)
                throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LineHoldsPartOfTry, s, e, c.TryOffset, c.HandlerOffset));
        }

        int first = indexOf[s];
        int last = first;
        for (int i = first; i < instructions.Count && instructions[i].Offset < e; i++)
        {
            last = i;
            var instr = instructions[i];
            if (instr.OpCode is 0x2A or 0x27 or 0xFE14 or 0xDC or 0xFE11) // ret, jmp, tail., endfinally, endfilter
                throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LineHasExitInstruction, s, e, instr.Offset, count: instr.OpCode));
        }

        // Entered in the middle: a jump from outside the line to an instruction after its first one.
        foreach (var instr in instructions)
        {
            if (instr.Offset >= s && instr.Offset < e)
                continue;
            foreach (int target in instr.Targets)
            {
                if (target > s && target < e)
                    throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LineEnteredInMiddle, s, e, instr.Offset, target));
            }
        }

        var depth = depths();
        if (depth[first] > 0)
            throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LineStartsWithStack, s, e, s, count: depth[first]));
        for (int i = first; i <= last; i++)
        {
            var instr = instructions[i];
            if (depth[i] < 0 || instr.OpCode is 0xDD or 0xDE)
                continue; // unreachable, or already a leave (it empties the stack)
            bool leaves = instr.Targets.Any(t => t < s || t >= e);
            bool fallsOut = i == last && FallsThrough(instr.OpCode);
            if (!leaves && !fallsOut)
                continue;
            var (pops, pushes) = StackDepths.Effect(instr, calls);
            int after = depth[i] - pops + pushes;
            if (after != 0)
                throw new InvalidILException(ProbeRefusal.OfLine(RefusalCode.LineLeavesWithStack, s, e, instr.Offset, count: after));
        }
    }

    /// <summary>The instruction does not end its block: control can go on to the next one.</summary>
    public static bool FallsThrough(ushort opcode) =>
        opcode is not (0x2B or 0x38 or 0xDD or 0xDE or 0x2A or 0x7A or 0xFE1A or 0xDC or 0xFE11 or 0x27);

    private static int LastEnd(IReadOnlyList<Instruction> instructions) =>
        instructions.Count == 0 ? 0 : instructions[^1].Offset + instructions[^1].Size;
}
