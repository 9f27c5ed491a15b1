using System.Buffers.Binary;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

/// <summary>line_capture: a line wrapped in try/filter (probe-abi.md §1, "Line capture"), byte by byte, and the shapes refused.</summary>
public class LineCaptureTests
{
    private const int Probe = 7;
    private const int CallVoidInt = 0x06000001;   // static void M(int)
    private const int CallIntToInt = 0x0A000005;  // static int M(int)
    private static readonly SigType Int32 = new([ElementType.I4], false, false);

    private static readonly MethodContext Context = new(new MethodSig(false, false, 0, Int32, [Int32]), [], 0x02000002, false, 0);

    private sealed class Calls : ICallSignatures
    {
        public byte[]? SignatureOf(int token) => token switch
        {
            CallVoidInt => [0x00, 0x01, ElementType.Void, ElementType.I4],
            CallIntToInt => [0x00, 0x01, ElementType.I4, ElementType.I4],
            _ => null,
        };
    }

    private static readonly SlotSource[] OutcomeSlots =
        [new(SlotKind.Argument, 0), new(SlotKind.Exception, 0), new(SlotKind.Duration, 0)];

    private static (RewriteResult Result, LineRegion Region) Capture(ILBuilder il, int start, int end, IReadOnlyList<ExceptionClause>? clauses = null,
        IReadOnlyList<ILInsertion>? insertions = null)
    {
        var tokens = new ExitHooksTests.Tokens();
        var probe = new ProbeRequest(Probe, start, OutcomeSlots, InsertionKind.LineCapture) { EndILOffset = end };
        var region = LineCapture.Build(start, end, [probe], exceptionLocal: 0, startLocal: 1, Context, tokens);
        var body = new MethodBody(il.ToArray(), 8, 0, true, clauses ?? []);
        var lines = new LineRegions([region], 0x11000042, new Calls());
        return (ILRewriter.Rewrite(body, insertions ?? [], null, lines), region);
    }

    // The refusal the agent is told (its code and offsets; the agent words it: ProbeRefusals in the agent).
    private static void Throws(ProbeRefusal expected, Action rewrite)
    {
        var e = Assert.Throws<InvalidILException>(rewrite);
        Assert.Equal(expected, e.Refusal);
        Assert.True(e.Refusal.IsLineShape);
    }

    private static int Leave(byte[] code, int at)
    {
        Assert.Equal(0xDD, code[at]);
        return at + 5 + BinaryPrimitives.ReadInt32LittleEndian(code.AsSpan(at + 1));
    }

    [Fact]
    public void Locals_exc_and_start_are_appended_per_line()
    {
        var (first, sig) = LineCapture.AppendLocals([0x07, 0x01, ElementType.String], 2);
        Assert.Equal(1, first);
        Assert.Equal([0x07, 0x05, ElementType.String, ElementType.Object, ElementType.I8, ElementType.Object, ElementType.I8], sig);
        var (none, fresh) = LineCapture.AppendLocals(null, 1);
        Assert.Equal(0, none);
        Assert.Equal([0x07, 0x02, ElementType.Object, ElementType.I8], fresh);
    }

    [Fact]
    public void The_start_time_is_read_through_TimestampIf_of_the_probe_and_the_filter_never_handles()
    {
        var tokens = new ExitHooksTests.Tokens();
        var probe = new ProbeRequest(Probe, 0, OutcomeSlots, InsertionKind.LineCapture) { EndILOffset = 6 };
        var region = LineCapture.Build(0, 6, [probe], 3, 4, Context, tokens);
        // ldc.i4 7; call TimestampIf; stloc 4
        Assert.Equal([0x20, 7, 0, 0, 0, 0x28, 0x16, 0, 0, 0x0A, 0xFE, 0x0E, 4, 0], region.Prologue);
        // filter: stloc 3 (the exception); the duration before any value: ldloc.s 4; brfalse.s Z; ldloc.s 4;
        // call ElapsedNanos; br.s W; Z: ldc.i4.m1; conv.i8; W: stloc 4 ... ldc.i4.0; endfilter
        Assert.Equal([0xFE, 0x0E, 3, 0], region.FilterCode[..4]);
        Assert.Equal([0x11, 4, 0x2C, 9, 0x11, 4, 0x28, 0x15, 0, 0, 0x0A, 0x2B, 2, 0x15, 0x6A, 0xFE, 0x0E, 4, 0], region.FilterCode[4..23]);
        Assert.Equal([0x16, 0xFE, 0x11], region.FilterCode[^3..]);
        // completion: ldnull; stloc 3 (no exception), then the same probe code
        Assert.Equal([0x14, 0xFE, 0x0E, 3, 0], region.CompletionCode[..5]);
        Assert.Equal(region.FilterCode[4..^3], region.CompletionCode[5..]);
        // Two probes on one line: the first non-zero TimestampIf (the exit hooks' chain), so still no clock read unless
        // one of them may fire: ldc.i4 7; call TimestampIf; dup; brtrue END; pop; ldc.i4 8; call TimestampIf; END: stloc 4
        var two = LineCapture.Build(0, 6, [probe, probe with { ProbeId = 8 }], 3, 4, Context, tokens);
        Assert.Equal(
            [0x20, 7, 0, 0, 0, 0x28, 0x16, 0, 0, 0x0A, 0x25, 0x3A, 11, 0, 0, 0, 0x26, 0x20, 8, 0, 0, 0, 0x28, 0x16, 0, 0, 0x0A, 0xFE, 0x0E, 4, 0],
            two.Prologue);
    }

    [Fact]
    public void A_straight_line_becomes_prologue_try_leave_filter_handler_completion_with_a_filter_clause()
    {
        // S=0: ldarg.0; call M(int)    E=6: ldc.i4.1; ret
        var il = new ILBuilder().Op(0x02).OpInt(0x28, CallVoidInt).Label("E").Op(0x17, 0x2A);
        var (result, region) = Capture(il, 0, 6);
        var code = result.Body.Code;
        int p = region.Prologue.Length;
        Assert.Equal(region.Prologue, code[..p]);
        Assert.Equal([0x02, 0x28], new[] { code[p], code[p + 1] });
        int leaveAt = p + 6;
        int filterAt = leaveAt + 5;
        int handlerAt = filterAt + region.FilterCode.Length;
        int completionAt = handlerAt + 3;
        Assert.Equal(completionAt, Leave(code, leaveAt));
        Assert.Equal(region.FilterCode, code[filterAt..handlerAt]);
        Assert.Equal([0x26, 0xFE, 0x1A], code[handlerAt..completionAt]);
        int afterLine = completionAt + region.CompletionCode.Length;
        Assert.Equal(region.CompletionCode, code[completionAt..afterLine]);
        Assert.Equal([0x17, 0x2A], code[afterLine..]);
        var clause = Assert.Single(result.Body.Clauses);
        Assert.Equal(new ExceptionClause(ExceptionClauseKind.Filter, p, filterAt - p, handlerAt, 3, filterAt), clause);
        Assert.Equal(0x11000042, result.Body.LocalVarSigToken);
        Assert.Equal(afterLine, result.NewOffsets[6]);
    }

    [Fact]
    public void Jumps_out_of_the_line_become_leave_and_a_conditional_one_goes_through_a_leave_stub()
    {
        // S=0: ldarg.0; brfalse.s OUT; ldarg.0; brtrue.s E; br OUT2     E: nop   OUT: ldc.i4.0; ret   OUT2: ldc.i4.2; ret
        var il = new ILBuilder().Op(0x02).BranchShort(0x2C, "OUT").Op(0x02).BranchShort(0x2D, "E").Branch(0x38, "OUT2")
            .Label("E").Op(0x00).Label("OUT").Op(0x16, 0x2A).Label("OUT2").Op(0x18, 0x2A);
        var (result, region) = Capture(il, 0, il["E"]);
        var code = result.Body.Code;
        int t = region.Prologue.Length;
        var decoded = ILDecoder.Decode(code);
        // brfalse.s -> stub for OUT; brtrue.s E -> stub for the completion; br OUT2 -> leave OUT2
        var brfalse = decoded.Single(i => i.Offset == t + 1);
        var brtrue = decoded.Single(i => i.Offset == t + 4);
        var leave = decoded.Single(i => i.Offset == t + 6);
        Assert.Equal(0x2C, brfalse.OpCode);
        Assert.Equal(0x2D, brtrue.OpCode);
        Assert.Equal(0xDD, leave.OpCode);
        int stubs = t + 11; // the last instruction (br) does not fall through: no leave to the completion first
        Assert.Equal(stubs, brfalse.Targets[0]);
        Assert.Equal(stubs + 5, brtrue.Targets[0]);
        int filterAt = stubs + 10;
        int completionAt = filterAt + region.FilterCode.Length + 3;
        int afterLine = completionAt + region.CompletionCode.Length;
        Assert.Equal(result.NewOffsets[il["OUT"]], Leave(code, stubs));
        Assert.Equal(completionAt, Leave(code, stubs + 5));
        Assert.Equal(result.NewOffsets[il["OUT2"]], leave.Targets[0]);
        Assert.Equal(afterLine, result.NewOffsets[il["E"]]);
        Assert.Equal(new ExceptionClause(ExceptionClauseKind.Filter, t, filterAt - t, filterAt + region.FilterCode.Length, 3, filterAt), Assert.Single(result.Body.Clauses));
    }

    [Fact]
    public void A_jump_back_to_the_line_start_from_inside_stays_in_the_try_and_one_from_outside_runs_the_prologue()
    {
        // S=0: ldarg.0; brtrue.s S; E: br.s S (outside the line); ldc.i4.0; ret
        var il = new ILBuilder().Label("S").Op(0x02).BranchShort(0x2D, "S").Label("E").BranchShort(0x2B, "S").Op(0x16, 0x2A);
        var (result, region) = Capture(il, 0, il["E"]);
        var decoded = ILDecoder.Decode(result.Body.Code);
        int t = region.Prologue.Length;
        Assert.Equal(t, decoded.Single(i => i.Offset == t + 1).Targets[0]);
        Assert.Equal(0, decoded.Single(i => i.Offset == result.NewOffsets[il["E"]]).Targets[0]);
    }

    [Fact]
    public void A_line_inside_a_try_gets_its_clause_first_and_a_line_holding_a_whole_try_gets_it_after()
    {
        // try { S: ldarg.0; call M; E: leave.s END } finally { endfinally } END: ldc.i4.0; ret
        var il = new ILBuilder().Label("S").Op(0x02).OpInt(0x28, CallVoidInt).Label("E").BranchShort(0xDE, "END")
            .Label("H").Op(0xDC).Label("END").Op(0x16, 0x2A);
        var outer = new ExceptionClause(ExceptionClauseKind.Finally, 0, il["H"], il["H"], 1, 0);
        var (inside, _) = Capture(il, 0, il["E"], [outer]);
        Assert.Equal([ExceptionClauseKind.Filter, ExceptionClauseKind.Finally], inside.Body.Clauses.Select(c => c.Kind));
        var ours = inside.Body.Clauses[0];
        var theirs = inside.Body.Clauses[1];
        Assert.Equal(0, theirs.TryOffset);                               // the prologue is inside the enclosing try
        Assert.True(ours.TryOffset > theirs.TryOffset && ours.HandlerOffset + ours.HandlerLength <= theirs.TryOffset + theirs.TryLength);

        // S: try { ldarg.0; call M; leave.s E } catch object { pop; leave.s E }  E: ldc.i4.0; ret
        var il2 = new ILBuilder().Label("S").Op(0x02).OpInt(0x28, CallVoidInt).BranchShort(0xDE, "E")
            .Label("H").Op(0x26).BranchShort(0xDE, "E").Label("E").Op(0x16, 0x2A);
        var held = new ExceptionClause(ExceptionClauseKind.Catch, 0, il2["H"], il2["H"], il2["E"] - il2["H"], 0x01000001);
        var (holding, region) = Capture(il2, 0, il2["E"], [held]);
        Assert.Equal([ExceptionClauseKind.Catch, ExceptionClauseKind.Filter], holding.Body.Clauses.Select(c => c.Kind));
        int t = region.Prologue.Length;
        Assert.Equal(t, holding.Body.Clauses[0].TryOffset);              // both trys start at the line's first instruction
        Assert.Equal(t, holding.Body.Clauses[1].TryOffset);
        var catchEnd = holding.Body.Clauses[0].HandlerOffset + holding.Body.Clauses[0].HandlerLength;
        Assert.Equal(holding.Body.Clauses[1].TryOffset + holding.Body.Clauses[1].TryLength, catchEnd); // no stubs, no fall-through
    }

    // Found by the sweep (SweepTests, a catch's last line `return ...;`): the line leaves the catch to the instruction
    // right after the handler, its after-line offset. The completion probes lie inside the handler and used to fall out
    // of its end: InvalidProgramException. They must leave the handler as the line did.
    [Fact]
    public void A_line_that_leaves_its_enclosing_handler_to_the_after_line_offset_leaves_it_after_the_completion_probes()
    {
        // try { ldarg.0; call M; leave.s END } catch object { S: pop; ldarg.0; call M; leave.s E }  E=END: ldc.i4.0; ret
        var il = new ILBuilder().Op(0x02).OpInt(0x28, CallVoidInt).BranchShort(0xDE, "END")
            .Label("H").Label("S").Op(0x26).Op(0x02).OpInt(0x28, CallVoidInt).BranchShort(0xDE, "END").Label("END").Op(0x16, 0x2A);
        var outer = new ExceptionClause(ExceptionClauseKind.Catch, 0, il["H"], il["H"], il["END"] - il["H"], 0x01000001);
        // The line starts at the handler with the exception on the stack: wrap from the instruction after the pop.
        int start = il["S"] + 1;
        var (result, region) = Capture(il, start, il["END"], [outer]);
        var code = result.Body.Code;
        var theirs = result.Body.Clauses[1];
        int handlerEnd = theirs.HandlerOffset + theirs.HandlerLength;
        Assert.Equal(result.NewOffsets[il["END"]], handlerEnd);
        // The line's leave goes to the completion probes, which end with a leave to the after-line offset, at the
        // handler's very end: nothing falls out of the handler.
        int completionAt = handlerEnd - 5 - region.CompletionCode.Length;
        Assert.Equal(region.CompletionCode, code[completionAt..(handlerEnd - 5)]);
        Assert.Equal(result.NewOffsets[il["END"]], Leave(code, handlerEnd - 5));
        var decoded = ILDecoder.Decode(code);
        var lineLeave = decoded.Single(i => i.OpCode == 0xDE && i.Offset > theirs.HandlerOffset);
        Assert.Equal(completionAt, lineLeave.Targets[0]);
        var ours = result.Body.Clauses[0];
        Assert.Equal(ExceptionClauseKind.Filter, ours.Kind);
        Assert.True(ours.TryOffset >= theirs.HandlerOffset && ours.HandlerOffset + ours.HandlerLength <= completionAt);
    }

    [Fact]
    public void A_line_start_probe_at_the_same_offset_runs_before_the_prologue_outside_the_try()
    {
        var il = new ILBuilder().Op(0x02).OpInt(0x28, CallVoidInt).Label("E").Op(0x17, 0x2A);
        var before = new ILInsertion(0, [0x00, 0x00, 0x00], 0);
        var (result, region) = Capture(il, 0, 6, insertions: [before]);
        Assert.Equal([0x00, 0x00, 0x00], result.Body.Code[..3]);
        Assert.Equal(region.Prologue, result.Body.Code[3..(3 + region.Prologue.Length)]);
        Assert.Equal(3 + region.Prologue.Length, result.Body.Clauses[0].TryOffset);
        Assert.Equal(0, result.InsertionOffsets[0]);
    }

    [Fact]
    public void A_line_entered_in_the_middle_is_refused()
    {
        // S=0: ldarg.0; M: pop; E: br.s M
        var il = new ILBuilder().Op(0x02).Label("M").Op(0x26).Label("E").BranchShort(0x2B, "M");
        Throws(ProbeRefusal.OfLine(RefusalCode.LineEnteredInMiddle, 0, il["E"], ilOffset: 2, otherILOffset: 1), () => Capture(il, 0, il["E"]));
    }

    [Fact]
    public void A_line_starting_with_values_on_the_stack_is_refused()
    {
        // ldc.i4.1; S: ldc.i4.2; add; pop; E: ldc.i4.0; ret
        var il = new ILBuilder().Op(0x17).Label("S").Op(0x18, 0x58, 0x26).Label("E").Op(0x16, 0x2A);
        Throws(ProbeRefusal.OfLine(RefusalCode.LineStartsWithStack, 1, il["E"], ilOffset: 1, count: 1), () => Capture(il, 1, il["E"]));
    }

    [Fact]
    public void A_jump_out_with_a_value_on_the_stack_is_refused()
    {
        // S: ldc.i4.1; ldarg.0; brtrue.s OUT; E: pop; ... OUT: ret (with the value)
        var il = new ILBuilder().Op(0x17, 0x02).BranchShort(0x2D, "OUT").Label("E").Op(0x26, 0x16).Label("OUT").Op(0x2A);
        Throws(ProbeRefusal.OfLine(RefusalCode.LineLeavesWithStack, 0, il["E"], ilOffset: 2, count: 1), () => Capture(il, 0, il["E"]));
        // and falling out of the line with a value
        var il2 = new ILBuilder().Op(0x02).OpInt(0x28, CallIntToInt).Label("E").Op(0x2A);
        Throws(ProbeRefusal.OfLine(RefusalCode.LineLeavesWithStack, 0, il2["E"], ilOffset: 1, count: 1), () => Capture(il2, 0, il2["E"]));
    }

    [Fact]
    public void A_line_with_ret_or_overlapping_a_try_is_refused()
    {
        var il = new ILBuilder().Op(0x02, 0x2A).Label("E").Op(0x16, 0x2A);
        Throws(ProbeRefusal.OfLine(RefusalCode.LineHasExitInstruction, 0, il["E"], ilOffset: 1, count: 0x2A), () => Capture(il, 0, il["E"]));

        // try starts in the middle of the line and ends after it
        var il2 = new ILBuilder().Op(0x00).Label("T").Op(0x00).Label("E").BranchShort(0xDE, "END").Label("H").Op(0xDC).Label("END").Op(0x16, 0x2A);
        var clause = new ExceptionClause(ExceptionClauseKind.Finally, il2["T"], il2["H"] - il2["T"], il2["H"], 1, 0);
        Throws(ProbeRefusal.OfLine(RefusalCode.LinePartlyOverlapsBlock, 0, il2["E"], ilOffset: 1, otherILOffset: 4, count: (int)TryBlockKind.Try), () => Capture(il2, 0, il2["E"], [clause]));
    }

    [Fact]
    public void The_stack_depths_follow_calls_and_handlers()
    {
        // ldarg.0; call int M(int); ldc.i4.1; add; ret
        var il = new ILBuilder().Op(0x02).OpInt(0x28, CallIntToInt).Op(0x17, 0x58, 0x2A).ToArray();
        Assert.Equal([0, 1, 1, 2, 1], StackDepths.Compute(ILDecoder.Decode(il), [], new Calls()));
        var unknown = new ILBuilder().OpInt(0x28, 0x0A0000FF).Op(0x2A).ToArray();
        var e = Assert.Throws<InvalidILException>(() => StackDepths.Compute(ILDecoder.Decode(unknown), [], new Calls()));
        Assert.Contains("signature of token 0x0A0000FF could not be read", e.Message, StringComparison.Ordinal);
    }
}
