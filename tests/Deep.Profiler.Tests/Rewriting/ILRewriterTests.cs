using System.Buffers.Binary;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

public class ILRewriterTests
{
    // A recognisable, relocatable snippet: ldc.i4 <marker>; pop  (stack-neutral, needs one slot).
    private static ILInsertion Marker(int offset, int marker)
    {
        var code = new byte[6];
        code[0] = 0x20;
        BinaryPrimitives.WriteInt32LittleEndian(code.AsSpan(1), marker);
        code[5] = 0x26;
        return new ILInsertion(offset, code, 1);
    }

    [Fact]
    public void Inserted_code_runs_before_the_instruction_at_its_offset()
    {
        byte[] code = [0x02, 0x03, 0x58, 0x2A]; // ldarg.0 ldarg.1 add ret
        var result = ILRewriter.Rewrite(new MethodBody(code, 2, 0, false, []), [Marker(2, 7)]);
        Assert.Equal([0x02, 0x03, 0x20, 7, 0, 0, 0, 0x26, 0x58, 0x2A], result.Body.Code);
        Assert.Equal(2, result.InsertionOffsets[2]);
        Assert.Equal(8, result.NewOffsets[2]);
    }

    [Fact]
    public void Maxstack_grows_by_the_largest_stack_need_and_locals_and_flags_are_kept()
    {
        var original = new MethodBody([0x00, 0x00, 0x2A], 3, 0x11000005, true, []);
        var ins = new[] { Marker(0, 1), new ILInsertion(1, [0x00], 4) };
        var body = ILRewriter.Rewrite(original, ins).Body;
        Assert.Equal(7, body.MaxStack);
        Assert.Equal(0x11000005, body.LocalVarSigToken);
        Assert.True(body.InitLocals);
    }

    [Fact]
    public void Tiny_input_comes_out_with_a_fat_header()
    {
        byte[] tiny = [(byte)(2 << 2 | 0x2), 0x00, 0x2A];
        var body = ILRewriter.Rewrite(MethodBody.Parse(tiny), [Marker(1, 1)]).Body;
        var encoded = body.Encode();
        Assert.Equal(0x3, encoded[0] & 0x3);
        Assert.Equal(9, MethodBody.Parse(encoded).MaxStack);
    }

    [Fact]
    public void Several_probes_at_several_offsets_and_two_at_one_offset_keep_their_order()
    {
        byte[] code = [0x00, 0x00, 0x00, 0x2A];
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, []), [Marker(1, 10), Marker(3, 30), Marker(1, 11)]);
        var decoded = ILDecoder.Decode(result.Body.Code);
        var markers = decoded.Where(i => i.OpCode == 0x20).Select(i => (int)i.Operand).ToArray();
        Assert.Equal([10, 11, 30], markers);
        Assert.Equal(1, result.InsertionOffsets[1]);
        Assert.Equal(13, result.NewOffsets[1]);
    }

    [Fact]
    public void Loop_back_edge_to_a_probed_instruction_lands_on_the_probe()
    {
        var il = new ILBuilder()
            .Op(0x16).Op(0x0A)                  // ldc.i4.0 stloc.0
            .Label("head").Op(0x06)             // ldloc.0
            .Op(0x17).Op(0x58).Op(0x0A)         // ldc.i4.1 add stloc.0
            .Op(0x06).Op(0x1F, 10)              // ldloc.0 ldc.i4.s 10
            .BranchShort(0x32, "head")          // blt.s head
            .Op(0x2A);
        var code = il.ToArray();
        var result = ILRewriter.Rewrite(new MethodBody(code, 2, 0x11000001, true, []), [Marker(il["head"], 5)]);
        var blt = ILDecoder.Decode(result.Body.Code).Single(i => i.OpCode == 0x32);
        Assert.Equal(result.InsertionOffsets[il["head"]], blt.Targets[0]);
    }

    [Fact]
    public void Short_branch_whose_displacement_no_longer_fits_is_widened_and_others_stay_short()
    {
        var il = new ILBuilder()
            .BranchShort(0x2B, "far")           // br.s far (100 bytes ahead)
            .BranchShort(0x2B, "near")          // br.s near
            .Label("near").Nops(100)
            .Label("far").Op(0x2A);
        var code = il.ToArray();
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, []), [new ILInsertion(il["near"] + 1, new byte[40], 0)]);
        var decoded = ILDecoder.Decode(result.Body.Code);
        Assert.Equal(0x38, decoded[0].OpCode);   // br
        Assert.Equal(0x2B, decoded[1].OpCode);   // br.s stays
        Assert.Equal(result.NewOffsets[il["far"]], decoded[0].Targets[0]);
        Assert.Equal(result.NewOffsets[il["near"]], decoded[1].Targets[0]);
    }

    [Fact]
    public void Backward_short_branch_is_widened_when_code_inserted_in_between_pushes_it_out_of_range()
    {
        var il = new ILBuilder().Label("top").Nops(10).BranchShort(0x2D, "top").Op(0x2A); // brtrue.s top
        var code = il.ToArray();
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, []), [new ILInsertion(5, new byte[200], 0)]);
        var branch = ILDecoder.Decode(result.Body.Code).Single(i => i.IsBranch);
        Assert.Equal(0x3A, branch.OpCode); // brtrue
        Assert.Equal(0, branch.Targets[0]);
    }

    [Fact]
    public void Leave_s_is_widened_to_leave()
    {
        var il = new ILBuilder().Nops(1).BranchShort(0xDE, "out").Nops(120).Label("out").Op(0x2A);
        var code = il.ToArray();
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, []), [new ILInsertion(3, new byte[20], 0)]);
        var leave = ILDecoder.Decode(result.Body.Code).Single(i => i.IsBranch);
        Assert.Equal(0xDD, leave.OpCode);
        Assert.Equal(result.NewOffsets[il["out"]], leave.Targets[0]);
    }

    [Fact]
    public void Switch_targets_are_retargeted_including_a_case_that_lands_on_a_probe()
    {
        var il = new ILBuilder()
            .Op(0x02).Switch("a", "b", "c")
            .Label("a").Op(0x00)
            .Label("b").Op(0x00)
            .Label("c").Op(0x2A);
        var code = il.ToArray();
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, []), [Marker(il["b"], 1), Marker(1, 2)]);
        var sw = ILDecoder.Decode(result.Body.Code).Single(i => i.OpCode == 0x45);
        Assert.Equal(result.InsertionOffsets[1] + 6, sw.Offset);
        Assert.Equal([result.NewOffsets[il["a"]], result.InsertionOffsets[il["b"]], result.NewOffsets[il["c"]]], sw.Targets);
    }

    [Fact]
    public void Probe_at_first_instruction_of_try_and_of_handlers_is_inside_them()
    {
        // try { nop; leave.s END } catch { pop; leave.s END } ; try { nop; leave.s END } finally { nop; endfinally } ; END: ret
        var il = new ILBuilder()
            .Label("try1").Op(0x00).BranchShort(0xDE, "end")
            .Label("catch").Op(0x26).BranchShort(0xDE, "end")
            .Label("try2").Op(0x00).BranchShort(0xDE, "end")
            .Label("finally").Op(0x00).Op(0xDC)
            .Label("end").Op(0x2A);
        var code = il.ToArray();
        var clauses = new[]
        {
            new ExceptionClause(ExceptionClauseKind.Catch, il["try1"], il["catch"] - il["try1"], il["catch"], il["try2"] - il["catch"], 0x01000001),
            new ExceptionClause(ExceptionClauseKind.Finally, il["try2"], il["finally"] - il["try2"], il["finally"], il["end"] - il["finally"], 0),
        };
        var ins = new[] { Marker(il["try1"], 1), Marker(il["catch"], 2), Marker(il["try2"], 3), Marker(il["finally"], 4), Marker(il["end"], 5) };
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, clauses), ins);
        var c = result.Body.Clauses;
        var at = result.InsertionOffsets;
        Assert.Equal(new ExceptionClause(ExceptionClauseKind.Catch, at[il["try1"]], at[il["catch"]] - at[il["try1"]], at[il["catch"]], at[il["try2"]] - at[il["catch"]], 0x01000001), c[0]);
        Assert.Equal(new ExceptionClause(ExceptionClauseKind.Finally, at[il["try2"]], at[il["finally"]] - at[il["try2"]], at[il["finally"]], at[il["end"]] - at[il["finally"]], 0), c[1]);
        // The probe at END (after the protected regions) is outside every clause.
        Assert.All(c, clause => Assert.True(clause.HandlerOffset + clause.HandlerLength <= at[il["end"]]));
        // leave.s END goes to the probe at END.
        Assert.All(ILDecoder.Decode(result.Body.Code).Where(i => i.IsBranch), b => Assert.Equal(at[il["end"]], b.Targets[0]));
    }

    [Fact]
    public void Filter_and_fault_clauses_are_remapped()
    {
        var il = new ILBuilder()
            .Label("try").Op(0x00).BranchShort(0xDE, "end")
            .Label("filter").Op(0x26).Op(0x17).Op(0xFE, 0x11)     // pop ldc.i4.1 endfilter
            .Label("handler").Op(0x26).BranchShort(0xDE, "end")
            .Label("try2").Op(0x00).BranchShort(0xDE, "end")
            .Label("fault").Op(0x00).Op(0xDC)
            .Label("end").Op(0x2A);
        var code = il.ToArray();
        var clauses = new[]
        {
            new ExceptionClause(ExceptionClauseKind.Filter, il["try"], il["filter"] - il["try"], il["handler"], il["try2"] - il["handler"], il["filter"]),
            new ExceptionClause(ExceptionClauseKind.Fault, il["try2"], il["fault"] - il["try2"], il["fault"], il["end"] - il["fault"], 0),
        };
        var result = ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, clauses), [Marker(il["filter"], 1), Marker(il["handler"] , 2), Marker(il["fault"] + 1, 3)]);
        var c = result.Body.Clauses;
        var at = result.InsertionOffsets;
        var n = result.NewOffsets;
        Assert.Equal(at[il["filter"]], c[0].ClassTokenOrFilterOffset);
        Assert.Equal(at[il["handler"]], c[0].HandlerOffset);
        Assert.Equal(n[il["try2"]] - at[il["handler"]], c[0].HandlerLength);
        Assert.Equal(n[il["fault"]], c[1].HandlerOffset);
        Assert.Equal(n[il["end"]] - n[il["fault"]], c[1].HandlerLength);
        Assert.True(at[il["fault"] + 1] > c[1].HandlerOffset && at[il["fault"] + 1] < c[1].HandlerOffset + c[1].HandlerLength);
    }

    [Theory]
    [InlineData(1, "not the start of an instruction")]
    [InlineData(99, "not the start of an instruction")]
    [InlineData(7, "follows a prefix")]
    public void Insertion_at_a_bad_offset_is_refused(int offset, string reason)
    {
        byte[] code = [0x20, 0, 0, 0, 0, 0xFE, 0x14, 0x28, 1, 0, 0, 0x0A, 0x2A]; // ldc.i4 0; tail. call; ret
        var e = Assert.Throws<InvalidILException>(() => ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, []), [Marker(offset, 1)]));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Clause_boundary_inside_an_instruction_is_refused()
    {
        byte[] code = [0x20, 0, 0, 0, 0, 0x2A];
        var clause = new ExceptionClause(ExceptionClauseKind.Finally, 0, 2, 5, 1, 0);
        var e = Assert.Throws<InvalidILException>(() => ILRewriter.Rewrite(new MethodBody(code, 1, 0, false, [clause]), []));
        Assert.Contains("try end", e.Message);
    }
}
