using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Tests.Rewriting;

public class MethodBodyTests
{
    [Fact]
    public void Tiny_header_is_parsed_with_default_maxstack_and_no_locals()
    {
        byte[] body = [(byte)(3 << 2 | 0x2), 0x02, 0x03, 0x2A, 0xFF]; // ldarg.0 ldarg.1 ret, then trailing junk
        var parsed = MethodBody.Parse(body);
        Assert.Equal(new byte[] { 0x02, 0x03, 0x2A }, parsed.Code);
        Assert.Equal(8, parsed.MaxStack);
        Assert.Equal(0, parsed.LocalVarSigToken);
        Assert.Empty(parsed.Clauses);
    }

    [Fact]
    public void Fat_body_with_small_clause_section_is_parsed()
    {
        // header(12) + code(8) + pad to 20 + small EH section with two clauses (4 + 2*12)
        var body = new List<byte>
        {
            0x1B, 0x30, 0x05, 0x00, 0x08, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x11, // flags 0x301B: fat|moresects|initlocals, size 3; maxstack 5; code 8; locals 0x11000011
            0x00, 0x00, 0xDE, 0x02, 0x26, 0x00, 0xDE, 0x00,
            0x01, 28, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x04, 0x04, 0x00, 0x02, 0x01, 0x00, 0x00, 0x01, // catch: try 0..4, handler 4..6, class 0x01000001
            0x02, 0x00, 0x00, 0x00, 0x06, 0x06, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, // finally: try 0..6, handler 6..8
        };
        var parsed = MethodBody.Parse(body.ToArray());
        Assert.Equal(5, parsed.MaxStack);
        Assert.Equal(0x11000011, parsed.LocalVarSigToken);
        Assert.True(parsed.InitLocals);
        Assert.Equal(8, parsed.Code.Length);
        Assert.Equal(
            [new ExceptionClause(ExceptionClauseKind.Catch, 0, 4, 4, 2, 0x01000001), new ExceptionClause(ExceptionClauseKind.Finally, 0, 6, 6, 2, 0)],
            parsed.Clauses);
    }

    [Fact]
    public void Encoding_always_writes_a_fat_header_and_round_trips_every_clause_kind()
    {
        var clauses = new[]
        {
            new ExceptionClause(ExceptionClauseKind.Catch, 0, 2, 2, 1, 0x01000007),
            new ExceptionClause(ExceptionClauseKind.Filter, 0, 2, 5, 1, 3),
            new ExceptionClause(ExceptionClauseKind.Finally, 0, 6, 6, 1, 0),
            new ExceptionClause(ExceptionClauseKind.Fault, 0, 7, 7, 1, 0),
        };
        var body = new MethodBody([0, 0, 0, 0, 0, 0, 0, 0, 0x2A], 3, 0x11000002, initLocals: false, clauses);
        byte[] encoded = body.Encode();
        Assert.Equal(0x3, encoded[0] & 0x3);
        Assert.Equal(0x8, encoded[0] & 0x8);
        Assert.Equal(0, encoded[0] & 0x10);
        var back = MethodBody.Parse(encoded);
        Assert.Equal(body.Code, back.Code);
        Assert.Equal(3, back.MaxStack);
        Assert.Equal(0x11000002, back.LocalVarSigToken);
        Assert.False(back.InitLocals);
        Assert.Equal(clauses, back.Clauses);
    }

    [Fact]
    public void Body_without_clauses_has_no_extra_section()
    {
        var encoded = new MethodBody([0x2A], 1, 0, true, []).Encode();
        Assert.Equal(13, encoded.Length);
        Assert.Equal(0, encoded[0] & 0x8);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 0x0E, 0x00 }, "tiny header announces 3")]
    [InlineData(new byte[] { 0x01 }, "unknown method header format")]
    [InlineData(new byte[] { 0x03, 0x30, 0x08, 0x00, 0xFF, 0x00, 0x00, 0x00, 0, 0, 0, 0 }, "announces 255 code bytes")]
    public void Malformed_bodies_are_refused_with_a_reason(byte[] body, string reason)
    {
        var e = Assert.Throws<InvalidILException>(() => MethodBody.Parse(body));
        Assert.Contains(reason, e.Message);
    }
}
