using System.Reflection.Metadata;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

/// <summary>The typed emitter writes the encodings ECMA-335 gives (III.1.2), the same bytes the rewriter wrote by hand.</summary>
public class ILEmitterTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x06 })]                      // ldloc.0
    [InlineData(3, new byte[] { 0x09 })]                      // ldloc.3
    [InlineData(4, new byte[] { 0x11, 4 })]                   // ldloc.s 4
    [InlineData(255, new byte[] { 0x11, 255 })]
    [InlineData(256, new byte[] { 0xFE, 0x0C, 0x00, 0x01 })]  // ldloc 256
    public void A_local_is_loaded_in_its_shortest_form(int index, byte[] expected) =>
        Assert.Equal(expected, new ILEmitter().LoadLocal(index).ToArray());

    [Theory]
    [InlineData(1, new byte[] { 0x03 })]                      // ldarg.1
    [InlineData(9, new byte[] { 0x0E, 9 })]                   // ldarg.s 9
    [InlineData(300, new byte[] { 0xFE, 0x09, 0x2C, 0x01 })]  // ldarg 300
    public void An_argument_is_loaded_in_its_shortest_form(int index, byte[] expected) =>
        Assert.Equal(expected, new ILEmitter().LoadArgument(index).ToArray());

    [Fact]
    public void Operands_are_little_endian_at_the_size_of_their_kind_and_two_byte_opcodes_start_with_FE()
    {
        var il = new ILEmitter().Op(ILOpCode.Ldc_i4, 0x01020304).Op(ILOpCode.Call, 0x0A000007).Op(ILOpCode.Stloc, (ushort)0x0102).Op(ILOpCode.Endfilter);
        Assert.Equal([0x20, 4, 3, 2, 1, 0x28, 7, 0, 0, 0x0A, 0xFE, 0x0E, 2, 1, 0xFE, 0x11], il.ToArray());
    }

    [Fact]
    public void A_forward_branch_lands_relative_to_the_next_instruction_and_a_short_one_that_cannot_reach_is_refused()
    {
        var il = new ILEmitter();
        int shortBranch = il.Branch(ILOpCode.Brfalse_s);
        int longBranch = il.Branch(ILOpCode.Brtrue);
        il.Op(ILOpCode.Nop);
        il.Land(shortBranch, ILOpCode.Brfalse_s);
        il.Land(longBranch, ILOpCode.Brtrue);
        Assert.Equal([0x2C, 6, 0x3A, 1, 0, 0, 0, 0x00], il.ToArray());

        var far = new ILEmitter();
        int tooFar = far.Branch(ILOpCode.Br_s);
        for (int i = 0; i < 128; i++)
            far.Op(ILOpCode.Nop);
        Assert.Throws<InvalidILException>(() => far.Land(tooFar, ILOpCode.Br_s));
    }

    [Fact]
    public void A_branch_written_in_place_has_the_size_of_its_form()
    {
        var code = new byte[8];
        Assert.Equal(5, ILEmitter.WriteBranch(code, 0, ILOpCode.Leave, 3));
        Assert.Equal([0xDD, 0xFE, 0xFF, 0xFF, 0xFF], code[..5]);
        Assert.Equal(7, ILEmitter.WriteBranch(code, 5, ILOpCode.Br_s, 10));
        Assert.Equal([0x2B, 3], code[5..7]);
        Assert.Equal(5, ILEmitter.BranchSize(ILOpCode.Br_s.GetLongBranch()));
    }
}
