using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

public class ILDecoderTests
{
    [Fact]
    public void Every_operand_kind_is_decoded_with_its_size_and_value()
    {
        byte[] code =
        [
            0x00,                                           // nop
            0x0E, 0x07,                                     // ldarg.s 7
            0x1F, 0xFE,                                     // ldc.i4.s -2
            0xFE, 0x0C, 0x34, 0x12,                         // ldloc 0x1234
            0x20, 0x78, 0x56, 0x34, 0x12,                   // ldc.i4 0x12345678
            0x21, 1, 2, 3, 4, 5, 6, 7, 8,                   // ldc.i8
            0x22, 0, 0, 0x80, 0x3F,                         // ldc.r4 1.0
            0x23, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,             // ldc.r8 1.0
            0x28, 0x01, 0x00, 0x00, 0x0A,                   // call 0x0A000001
            0xFE, 0x16, 0x02, 0x00, 0x00, 0x1B,             // constrained. 0x1B000002
            0x2B, 0x00,                                     // br.s +0
            0x38, 0x00, 0x00, 0x00, 0x00,                   // br +0
            0x45, 0x02, 0, 0, 0, 0, 0, 0, 0, 0xF3, 0xFF, 0xFF, 0xFF, // switch (+0, back to itself)
            0xFE, 0x12, 0x04,                               // unaligned. 4
            0x2A,                                           // ret
        ];
        var instructions = ILDecoder.Decode(code);
        Assert.Equal(
            [0x00, 0x0E, 0x1F, 0xFE0C, 0x20, 0x21, 0x22, 0x23, 0x28, 0xFE16, 0x2B, 0x38, 0x45, 0xFE12, 0x2A],
            instructions.Select(i => (int)i.OpCode));
        Assert.Equal([1, 2, 2, 4, 5, 9, 5, 9, 5, 6, 2, 5, 13, 3, 1], instructions.Select(i => i.Size));
        Assert.Equal(7, instructions[1].Operand);
        Assert.Equal(-2, instructions[2].Operand);
        Assert.Equal(0x1234, instructions[3].Operand);
        Assert.Equal(0x12345678, instructions[4].Operand);
        Assert.Equal(0x0807060504030201, instructions[5].Operand);
        Assert.Equal(0x0A000001, instructions[8].Operand);
        Assert.Equal(0x1B000002, instructions[9].Operand);
        var brs = instructions[10];
        Assert.Equal([brs.Offset + 2], brs.Targets);
        var sw = instructions[12];
        Assert.Equal([sw.Offset + 13, sw.Offset], sw.Targets);
    }

    [Theory]
    [InlineData(new byte[] { 0x24 }, "undefined opcode 0x24")]
    [InlineData(new byte[] { 0xFE, 0x08 }, "undefined opcode 0xFE08")]
    [InlineData(new byte[] { 0xFE }, "truncated two-byte opcode")]
    [InlineData(new byte[] { 0x20, 0x01, 0x02 }, "truncated operand")]
    [InlineData(new byte[] { 0x45, 0xFF, 0xFF, 0x00, 0x00 }, "announces 65535 targets")]
    [InlineData(new byte[] { 0x2B, 0x01, 0x20, 0, 0, 0, 0 }, "not the start of an instruction")]
    public void Malformed_code_is_refused_with_a_reason(byte[] code, string reason)
    {
        var e = Assert.Throws<InvalidILException>(() => ILDecoder.Decode(code));
        Assert.Contains(reason, e.Message);
    }
}
