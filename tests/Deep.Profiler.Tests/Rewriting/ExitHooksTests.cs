using System.Buffers.Binary;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

/// <summary>The exit-hook wrapper (probe-abi.md §1, "Exit hooks"), byte by byte.</summary>
public class ExitHooksTests
{
    private static readonly SigType Int32 = new([ElementType.I4], false, false);
    private static readonly SigType Void = new([ElementType.Void], false, false);

    private static MethodContext Context(SigType returns, byte[]? localsSignature = null, bool hasThis = false) =>
        new(new MethodSig(hasThis, false, 0, returns, [Int32]),
            localsSignature is null ? [] : SignatureParser.ParseLocals(localsSignature), 0x02000002, false, 0)
        { LocalsSignature = localsSignature };

    private static (RewriteResult Result, HookLocals Locals, byte[] Signature) Wrap(MethodBody body, MethodContext context,
        IReadOnlyList<ProbeRequest>? probes = null, Tokens? tokens = null)
    {
        tokens ??= new Tokens();
        probes ??= [];
        var (locals, signature) = ExitHooks.PlanLocals(context, context.LocalsSignature);
        var wrap = ExitHooks.Build(context, locals, tokens.LocalsToken(signature), probes.Where(p => p.Kind is InsertionKind.Exit or InsertionKind.ExitOnException).ToList(), tokens);
        var insertions = probes.Where(p => p.Kind is InsertionKind.Probe or InsertionKind.SpanEnd)
            .Select(p => ProbeCode.Build(p, context, tokens, locals)).ToList();
        return (ILRewriter.Rewrite(body, insertions, wrap), locals, signature);
    }

    private static ushort[] OpCodes(byte[] code) => ILDecoder.Decode(code).Select(i => i.OpCode).ToArray();

    [Fact]
    public void New_locals_are_appended_after_the_original_ones_return_exception_start_and_mark()
    {
        // Original locals: (string, int64)
        byte[] original = [0x07, 0x02, ElementType.String, ElementType.I8];
        var (locals, signature) = ExitHooks.PlanLocals(Context(Int32, original), original);
        Assert.Equal(new HookLocals(2, 3, 4, 5), locals);
        Assert.Equal([0x07, 0x06, ElementType.String, ElementType.I8, ElementType.I4, ElementType.Object, ElementType.I8, ElementType.I4], signature);
    }

    [Fact]
    public void A_void_method_gets_no_return_local_and_a_method_without_locals_gets_a_new_signature()
    {
        var (locals, signature) = ExitHooks.PlanLocals(Context(Void), null);
        Assert.Equal(new HookLocals(-1, 0, 1, 2), locals);
        Assert.Equal([0x07, 0x03, ElementType.Object, ElementType.I8, ElementType.I4], signature);
    }

    [Fact]
    public void A_byref_return_is_held_in_a_byref_local()
    {
        var (locals, signature) = ExitHooks.PlanLocals(Context(new SigType([ElementType.I4], true, false)), null);
        Assert.Equal(0, locals.Return);
        Assert.Equal([0x07, 0x04, ElementType.ByRef, ElementType.I4, ElementType.Object, ElementType.I8, ElementType.I4], signature);
    }

    [Fact]
    public void Every_ret_becomes_store_and_leave_to_the_single_ret_after_the_finally()
    {
        // ldarg.0; brtrue.s L; ldc.i4.1; ret; L: ldc.i4.2; ret
        byte[] code = [0x02, 0x2D, 0x02, 0x17, 0x2A, 0x18, 0x2A];
        var (result, locals, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32));
        var body = result.Body;
        var il = ILDecoder.Decode(body.Code);

        // prologue: call FrameEnter; stloc mark; ldc.i4.0; conv.i8; stloc start; ldnull; stloc exc; ldloca ret; initobj int32
        // (no exit probe reads the duration: no clock read)
        Assert.Equal<ushort>([0x28, 0xFE0E, 0x16, 0x6A, 0xFE0E, 0x14, 0xFE0E, 0xFE0D, 0xFE15], il.Take(9).Select(i => i.OpCode).ToArray());
        Assert.Equal(Tokens.FrameEnterToken, (int)il[0].Operand);
        Assert.Equal(locals.Mark, (int)il[1].Operand);
        Assert.Equal(locals.Start, (int)il[4].Operand);
        Assert.DoesNotContain(il, i => i.OpCode == 0x28 && (int)i.Operand is Tokens.TimestampToken or Tokens.TimestampIfToken);
        int tryStart = il[9].Offset;
        Assert.Equal(tryStart, result.NewOffsets[0]);

        // body: ldarg.0; brtrue.s; ldc.i4.1; stloc ret; leave EXIT; ldc.i4.2; stloc ret; leave EXIT
        Assert.Equal<ushort>([0x02, 0x2D, 0x17, 0xFE0E, 0xDD, 0x18, 0xFE0E, 0xDD], il.Skip(9).Take(8).Select(i => i.OpCode).ToArray());
        var exit = il[^2];
        Assert.Equal(0xFE0C, exit.OpCode);           // ldloc ret
        Assert.Equal(locals.Return, (int)exit.Operand);
        Assert.Equal(0x2A, il[^1].OpCode);            // the one ret
        Assert.Single(il, i => i.OpCode == 0x2A);
        Assert.All(il.Where(i => i.OpCode == 0xDD), leave => Assert.Equal(exit.Offset, leave.Targets[0]));
        Assert.Equal(result.NewOffsets[5], il[10].Targets[0]); // the branch still lands on `ldc.i4.2`

        // filter: stloc exc; ldc.i4.0; endfilter | handler: pop; rethrow | finally: ldloc mark; call FrameExit; endfinally
        var tail = il.SkipWhile(i => i.Offset < body.Clauses[0].ClassTokenOrFilterOffset).Select(i => i.OpCode).ToArray();
        Assert.Equal<ushort>([0xFE0E, 0x16, 0xFE11, 0x26, 0xFE1A, 0x06 + 3, 0x28, 0xDC, 0xFE0C, 0x2A], tail);

        Assert.Equal(2, body.Clauses.Count);
        var filter = body.Clauses[0];
        var @finally = body.Clauses[1];
        Assert.Equal(ExceptionClauseKind.Filter, filter.Kind);
        Assert.Equal(tryStart, filter.TryOffset);
        Assert.Equal(filter.ClassTokenOrFilterOffset, filter.TryOffset + filter.TryLength);
        Assert.Equal(filter.ClassTokenOrFilterOffset + 7, filter.HandlerOffset);
        Assert.Equal(ExceptionClauseKind.Finally, @finally.Kind);
        Assert.Equal(tryStart, @finally.TryOffset);
        Assert.Equal(filter.HandlerOffset + filter.HandlerLength, @finally.TryOffset + @finally.TryLength);
        Assert.Equal(@finally.HandlerOffset + @finally.HandlerLength, exit.Offset);
        Assert.Equal(0x11000099, body.LocalVarSigToken);
        Assert.True(body.MaxStack >= 2);
    }

    [Fact]
    public void A_void_method_leaves_without_storing_and_returns_nothing()
    {
        byte[] code = [0x00, 0x2A]; // nop; ret
        var (result, _, _) = Wrap(new MethodBody(code, 8, 0, false, []), Context(Void));
        var il = ILDecoder.Decode(result.Body.Code);
        // no ldloca/initobj in the prologue, the body's ret is a bare leave, the end is a bare ret
        Assert.DoesNotContain(il, i => i.OpCode is 0xFE0D or 0xFE15);
        Assert.Equal<ushort>([0x00, 0xDD], il.Skip(7).Take(2).Select(i => i.OpCode).ToArray());
        Assert.Equal<ushort>([0xDC, 0x2A], il.TakeLast(2).Select(i => i.OpCode).ToArray());
    }

    [Fact]
    public void The_methods_own_clauses_stay_inside_and_come_first()
    {
        // try { nop; leave.s END } finally { nop; endfinally } END: ret
        byte[] code = [0x00, 0xDE, 0x02, 0x00, 0xDC, 0x2A];
        var own = new ExceptionClause(ExceptionClauseKind.Finally, 0, 3, 3, 2, 0);
        var (result, _, _) = Wrap(new MethodBody(code, 1, 0, false, [own]), Context(Void));
        var body = result.Body;
        Assert.Equal(3, body.Clauses.Count);
        var mapped = body.Clauses[0];
        Assert.Equal(ExceptionClauseKind.Finally, mapped.Kind);
        Assert.Equal(result.NewOffsets[0], mapped.TryOffset);
        Assert.Equal(result.NewOffsets[3], mapped.HandlerOffset);
        var outer = body.Clauses[2];
        Assert.True(outer.TryOffset <= mapped.TryOffset && mapped.HandlerOffset + mapped.HandlerLength <= outer.TryOffset + outer.TryLength);
        // the own leave.s still goes to what was `ret`, now `leave EXIT`
        var il = ILDecoder.Decode(body.Code);
        var leaveShort = il.Single(i => i.OpCode == 0xDE);
        Assert.Equal(result.NewOffsets[5], leaveShort.Targets[0]);
        Assert.Equal(0xDD, il.Single(i => i.Offset == result.NewOffsets[5]).OpCode);
    }

    [Fact]
    public void A_tail_prefix_becomes_two_nops_because_a_tail_call_cannot_leave_a_protected_region()
    {
        // tail. call 0x0A000001; ret
        byte[] code = [0xFE, 0x14, 0x28, 0x01, 0x00, 0x00, 0x0A, 0x2A];
        var (result, _, _) = Wrap(new MethodBody(code, 8, 0, false, []), Context(Int32));
        var il = ILDecoder.Decode(result.Body.Code);
        Assert.DoesNotContain(il, i => i.OpCode == 0xFE14);
        Assert.Equal<ushort>([0x00, 0x00, 0x28, 0xFE0E, 0xDD], il.Skip(9).Take(5).Select(i => i.OpCode).ToArray());
    }

    [Fact]
    public void A_probe_at_offset_0_runs_inside_the_protected_region_after_the_prologue()
    {
        byte[] code = [0x02, 0x2A];
        var tokens = new Tokens();
        var entry = new ProbeRequest(3, 0, [new(SlotKind.Argument, 0)]);
        var (result, _, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32), [entry], tokens);
        var body = result.Body;
        int tryStart = body.Clauses[^1].TryOffset;
        Assert.Equal(tryStart, result.InsertionOffsets[0]);
        Assert.Equal(0x20, body.Code[tryStart]);                          // ldc.i4 3
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(body.Code.AsSpan(tryStart + 1)));
    }

    [Fact]
    public void Switch_targets_that_were_rets_land_on_their_store_and_leave()
    {
        // ldarg.0; switch (A, B); ldc.i4.0; ret; A: ldc.i4.1; ret; B: ldc.i4.2; ret
        var il = new ILBuilder().Op(0x02).Switch("A", "B").Op(0x16, 0x2A).Label("A").Op(0x17, 0x2A).Label("B").Op(0x18, 0x2A);
        var code = il.ToArray();
        var (result, _, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32));
        var decoded = ILDecoder.Decode(result.Body.Code);
        var @switch = decoded.Single(i => i.OpCode == 0x45);
        Assert.Equal([result.NewOffsets[il["A"]], result.NewOffsets[il["B"]]], @switch.Targets);
        foreach (var target in @switch.Targets)
        {
            var at = decoded.FindIndex(i => i.Offset == target);
            Assert.Equal<ushort>([0xFE0E, 0xDD], [decoded[at + 1].OpCode, decoded[at + 2].OpCode]);
        }
    }

    [Fact]
    public void A_method_with_jmp_is_refused()
    {
        byte[] code = [0x27, 0x01, 0x00, 0x00, 0x06];
        var e = Assert.Throws<InvalidILException>(() => Wrap(new MethodBody(code, 8, 0, false, []), Context(Void)));
        Assert.Equal(new ProbeRefusal(RefusalCode.MethodUsesJmp, 0), e.Refusal);
    }

    [Fact]
    public void An_exit_probe_in_the_finally_hands_over_argument_return_exception_and_duration()
    {
        byte[] code = [0x02, 0x2A]; // ldarg.0; ret
        var tokens = new Tokens();
        var probe = new ProbeRequest(9, 0,
            [new(SlotKind.Argument, 0), new(SlotKind.Return, 0), new(SlotKind.Exception, 0), new(SlotKind.Duration, 0)],
            InsertionKind.Exit);
        var (result, locals, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32), [probe], tokens);
        var body = result.Body;
        var @finally = body.Clauses[1];
        var il = ILDecoder.Decode(body.Code).Where(i => i.Offset >= @finally.HandlerOffset && i.Offset < @finally.HandlerOffset + @finally.HandlerLength).ToList();
        Assert.Equal<ushort>(
            [
                // The duration first, before any value is captured: start = start == 0 ? -1 : ElapsedNanos(start)
                0x08, 0x2C, 0x08, 0x28, 0x2B,     // ldloc.2 (start); brfalse.s Z; ldloc.2; call ElapsedNanos; br.s W
                0x15, 0x6A, 0xFE0E,               // Z: ldc.i4.m1; conv.i8; W: stloc start
                0x20, 0x28, 0x39,                 // ldc.i4 9; call Enter; brfalse SKIP
                0x02, 0x20, 0x28,                 // ldarg.0; ldc.i4 0; call Value<int32>
                0x06, 0x20, 0x28,                 // ldloc.0 (ret); ldc.i4 1; call Value<int32>
                0x07, 0x20, 0x28,                 // ldloc.1 (exc); ldc.i4 2; call ValueObject
                0x08, 0x20, 0x28,                 // ldloc.2 (the duration); ldc.i4 3; call Value<int64>
                0x20, 0x28,                       // ldc.i4 9; call Fire
                0x09, 0x28, 0xDC,                 // SKIP: ldloc.3 (mark); call FrameExit; endfinally
            ],
            il.Select(i => i.OpCode).ToArray());
        Assert.Equal(new HookLocals(0, 1, 2, 3), locals);
        Assert.Equal(Tokens.ElapsedToken, (int)il[3].Operand);
        Assert.Equal(il[5].Offset, il[1].Targets[0]);  // brfalse.s to ldc.i4.m1
        Assert.Equal(il[7].Offset, il[4].Targets[0]);  // br.s to the store
        Assert.Equal(locals.Start, (int)il[7].Operand);
        Assert.Equal(Tokens.ValueObjectToken, (int)il[19].Operand);
        Assert.Equal([ElementType.I8], tokens.ValueBlobs[^1]);
        Assert.Equal(il[25].Offset, il[10].Targets[0]); // the skip lands on the frame exit
        Assert.Equal(Tokens.FrameExitToken, (int)il[26].Operand);

        // prologue: call FrameEnter; stloc mark; ldc.i4 9; call TimestampIf; stloc start (the one timed exit probe)
        var prologue = ILDecoder.Decode(body.Code).Take(5).ToList();
        Assert.Equal<ushort>([0x28, 0xFE0E, 0x20, 0x28, 0xFE0E], prologue.Select(i => i.OpCode).ToArray());
        Assert.Equal(9, (int)prologue[2].Operand);
        Assert.Equal(Tokens.TimestampIfToken, (int)prologue[3].Operand);
        Assert.Equal(locals.Start, (int)prologue[4].Operand);
        Assert.True(body.MaxStack >= 2);
    }

    [Fact]
    public void An_exception_only_exit_probe_is_skipped_by_one_branch_on_the_exception_local_and_reads_no_clock()
    {
        // ldc.i4.0; stloc.0 (a local of the method); ldarg.0; ret
        byte[] code = [0x16, 0x0A, 0x02, 0x2A];
        byte[] original = [0x07, 0x01, ElementType.I4];
        var tokens = new Tokens();
        var probe = new ProbeRequest(9, 0, [new(SlotKind.Argument, 0), new(SlotKind.Local, 0), new(SlotKind.Exception, 0)], InsertionKind.ExitOnException);
        var (result, locals, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32, original), [probe], tokens);
        var body = result.Body;
        var @finally = body.Clauses[1];
        var il = ILDecoder.Decode(body.Code).Where(i => i.Offset >= @finally.HandlerOffset && i.Offset < @finally.HandlerOffset + @finally.HandlerLength).ToList();
        Assert.Equal<ushort>(
            [
                0x08, 0x39,                       // ldloc.2 (exc); brfalse SKIP: a normal return calls nothing
                0x20, 0x28, 0x39,                 // ldc.i4 9; call Enter; brfalse SKIP
                0x02, 0x20, 0x28,                 // ldarg.0; ldc.i4 0; call Value<int32>
                0x06, 0x20, 0x28,                 // ldloc.0 (the method's local); ldc.i4 1; call Value<int32>
                0x08, 0x20, 0x28,                 // ldloc.2 (exc); ldc.i4 2; call ValueObject
                0x20, 0x28,                       // ldc.i4 9; call Fire
                0x11, 0x28, 0xDC,                 // SKIP: ldloc.s 4 (mark); call FrameExit; endfinally
            ],
            il.Select(i => i.OpCode).ToArray());
        Assert.Equal(new HookLocals(1, 2, 3, 4), locals);
        Assert.Equal(il[16].Offset, il[1].Targets[0]);  // the exception check lands on the frame exit
        Assert.Equal(il[16].Offset, il[4].Targets[0]);  // and so does Enter's skip
        Assert.Equal(locals.Mark, (int)il[16].Operand);
        // No duration slot: the prologue reads no clock.
        Assert.DoesNotContain(ILDecoder.Decode(body.Code), i => i.OpCode == 0x28 && (int)i.Operand is Tokens.TimestampToken or Tokens.TimestampIfToken);
        Assert.True(body.MaxStack >= 2);
    }

    [Fact]
    public void The_instrumented_map_takes_the_prologue_to_offset_0_and_each_instruction_with_its_probes_back_to_its_own_offset()
    {
        // ldarg.0; brtrue.s L; ldc.i4.1; ret; L: ldc.i4.2; ret, with a probe before `ldc.i4.2` (offset 5)
        byte[] code = [0x02, 0x2D, 0x02, 0x17, 0x2A, 0x18, 0x2A];
        var tokens = new Tokens();
        var context = Context(Int32);
        var (locals, signature) = ExitHooks.PlanLocals(context, null);
        var wrap = ExitHooks.Build(context, locals, tokens.LocalsToken(signature), [], tokens);
        var probe = ProbeCode.Build(new ProbeRequest(3, 5, [new(SlotKind.Argument, 0)]), context, tokens, locals);
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, []), [probe], wrap);

        var map = InstrumentedMap.Entries(result);
        var triples = Enumerable.Range(0, map.Length / 3).Select(i => (Old: map[3 * i], New: map[3 * i + 1], Accurate: map[3 * i + 2])).ToList();
        Assert.Equal((0, 0, 1), triples[0]);                                   // the prologue
        Assert.Equal(result.NewOffsets[0], triples[1].New);                    // the try's first instruction
        Assert.Equal(0, triples[1].Old);
        Assert.Equal((5, result.InsertionOffsets[5], 1), triples.Single(t => t.Old == 5)); // the probe counts as `ldc.i4.2`
        Assert.True(result.InsertionOffsets[5] < result.NewOffsets[5]);
        Assert.Equal(triples.OrderBy(t => t.New).ToList(), triples);          // ascending
        Assert.Equal(triples.Select(t => t.New).Distinct().Count(), triples.Count);
    }

    [Fact]
    public void Several_exit_probes_reading_the_duration_share_one_timestamp_read_only_when_one_of_them_may_fire()
    {
        byte[] code = [0x02, 0x2A]; // ldarg.0; ret
        SlotSource[] slots = [new(SlotKind.Duration, 0)];
        var probes = new[]
        {
            new ProbeRequest(4, 0, slots, InsertionKind.Exit), new ProbeRequest(6, 0, slots, InsertionKind.Exit), new ProbeRequest(8, 0, slots, InsertionKind.Exit),
        };
        var (result, locals, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32), probes);
        var prologue = ILDecoder.Decode(result.Body.Code).Take(16).ToList();
        // call FrameEnter; stloc mark;
        // ldc.i4 4; call TimestampIf; dup; brtrue END; pop; ldc.i4 6; call TimestampIf; dup; brtrue END; pop;
        // ldc.i4 8; call TimestampIf; END: stloc start
        Assert.Equal<ushort>(
            [0x28, 0xFE0E, 0x20, 0x28, 0x25, 0x3A, 0x26, 0x20, 0x28, 0x25, 0x3A, 0x26, 0x20, 0x28, 0xFE0E, 0x14],
            prologue.Select(i => i.OpCode).ToArray());
        Assert.Equal([4, 6, 8], new[] { prologue[2], prologue[7], prologue[12] }.Select(i => (int)i.Operand));
        Assert.All(new[] { prologue[3], prologue[8], prologue[13] }, i => Assert.Equal(Tokens.TimestampIfToken, (int)i.Operand));
        Assert.Equal(prologue[14].Offset, prologue[5].Targets[0]); // both branches land on the store
        Assert.Equal(prologue[14].Offset, prologue[10].Targets[0]);
        Assert.Equal(locals.Start, (int)prologue[14].Operand);
        Assert.DoesNotContain(ILDecoder.Decode(result.Body.Code), i => i.OpCode == 0x28 && (int)i.Operand == Tokens.TimestampToken);
        Assert.True(result.Body.MaxStack >= 2);
    }

    [Fact]
    public void An_exit_probe_without_a_duration_slot_reads_no_clock()
    {
        byte[] code = [0x02, 0x2A]; // ldarg.0; ret
        var probe = new ProbeRequest(7, 0, [new(SlotKind.Return, 0)], InsertionKind.Exit);
        var (result, locals, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32), [probe]);
        var prologue = ILDecoder.Decode(result.Body.Code).Take(5).ToList();
        // call FrameEnter; stloc mark; ldc.i4.0; conv.i8; stloc start
        Assert.Equal<ushort>([0x28, 0xFE0E, 0x16, 0x6A, 0xFE0E], prologue.Select(i => i.OpCode).ToArray());
        Assert.Equal(locals.Start, (int)prologue[4].Operand);
    }

    [Fact]
    public void A_span_end_before_an_offset_passes_the_frame_mark_and_the_probe_id()
    {
        byte[] code = [0x00, 0x00, 0x2A];
        var probes = new[] { new ProbeRequest(5, 1, [], InsertionKind.SpanEnd) };
        var (result, locals, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Void), probes);
        var il = ILDecoder.Decode(result.Body.Code);
        int at = result.InsertionOffsets[1];
        var end = il.SkipWhile(i => i.Offset < at).Take(3).ToList();
        Assert.Equal<ushort>([(ushort)(0x06 + locals.Mark), 0x20, 0x28], end.Select(i => i.OpCode).ToArray());
        Assert.Equal(5, (int)end[1].Operand);
        Assert.Equal(Tokens.SpanEndToken, (int)end[2].Operand);
    }

    [Fact]
    public void Return_and_exception_slots_outside_an_exit_hook_are_refused()
    {
        var probe = new ProbeRequest(1, 0, [new(SlotKind.Return, 0)]);
        Assert.Throws<InvalidILException>(() => ProbeCode.Build(probe, Context(Int32), new Tokens()));
    }

    [Fact]
    public void A_wrapped_body_encodes_and_parses_back_with_its_clauses()
    {
        byte[] code = [0x02, 0x2A];
        var (result, _, _) = Wrap(new MethodBody(code, 1, 0, false, []), Context(Int32));
        var parsed = MethodBody.Parse(result.Body.Encode());
        Assert.Equal(result.Body.Code, parsed.Code);
        Assert.Equal(result.Body.Clauses, parsed.Clauses);
        Assert.Equal(0x11000099, parsed.LocalVarSigToken);
    }

    internal sealed class Tokens : IProbeTokens
    {
        public const int FrameEnterToken = 0x0A000011, FrameExitToken = 0x0A000012, SpanEndToken = 0x0A000013,
            TimestampToken = 0x0A000014, ElapsedToken = 0x0A000015, TimestampIfToken = 0x0A000016, ValueObjectToken = 0x0A000003;
        public readonly List<byte[]> ValueBlobs = [];
        public int Enter => 0x0A000001;
        public int Fire => 0x0A000002;
        public int ValueObject => ValueObjectToken;
        public int ValueOf(byte[] typeBlob)
        {
            ValueBlobs.Add(typeBlob);
            return 0x2B000000 | ValueBlobs.Count;
        }
        public int TypeToken(byte[] typeBlob) => 0x1B000001;
        public int FrameEnter => FrameEnterToken;
        public int FrameExit => FrameExitToken;
        public int SpanEnd => SpanEndToken;
        public int Timestamp => TimestampToken;
        public int TimestampIf => TimestampIfToken;
        public int ElapsedNanos => ElapsedToken;
        public int LocalsToken(byte[] signature) => 0x11000099;
    }
}
