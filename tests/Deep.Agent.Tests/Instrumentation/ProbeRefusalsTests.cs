using Deep.Agent.Instrumentation;

namespace Deep.Agent.Tests.Instrumentation;

/// <summary>The profiler answers refusal codes; the agent words them (ProbeRefusals) for the status users read.</summary>
public class ProbeRefusalsTests
{
    [Fact]
    public void Every_refusal_code_with_offsets_has_words_naming_its_offsets()
    {
        foreach (var code in Enum.GetValues<RefusalCode>().Where(c => c is not (RefusalCode.None or RefusalCode.Other or RefusalCode.ModuleNotInstrumentable)))
        {
            var refusal = ProbeRefusal.OfLine(code, 0x10, 0x20, ilOffset: 0x14, otherILOffset: 0x18, count: 1);
            var reason = ProbeRefusals.Reason(refusal);
            Assert.NotNull(reason);
            Assert.DoesNotContain("use line_", reason, StringComparison.Ordinal);
            Assert.StartsWith("the method cannot be instrumented: " + reason, ProbeRefusals.Describe(refusal, "ignored"), StringComparison.Ordinal);
            if (code is not RefusalCode.MethodReturnsTypedReference and not RefusalCode.LineInFilter)
                Assert.Contains("IL_0014", reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData((int)RefusalCode.LineEnteredInMiddle, 0, "the line's code (IL_0010 to IL_0020) is entered in the middle from outside it (IL_0014 jumps to IL_0018): " +
        "a loop condition, a for header or an await's resume point; a protected region can only be entered at its start: use line_end")]
    [InlineData((int)RefusalCode.LineLeavesWithStack, 2, "IL_0014 leaves the line with 2 value(s) on the evaluation stack: leaving a protected region empties the stack; use line_end")]
    [InlineData((int)RefusalCode.LinePartlyOverlapsBlock, (int)TryBlockKind.Handler, "the line's code (IL_0010 to IL_0020) partly overlaps the handler IL_0014-IL_0018 of a try statement: " +
        "a protected region cannot cut across it; use line_end")]
    [InlineData((int)RefusalCode.LineHasExitInstruction, 0x2A, "the line's code (IL_0010 to IL_0020) returns (ret) at IL_0014, which cannot be inside a protected region: use line_start or line_end")]
    [InlineData((int)RefusalCode.LineHasExitInstruction, 0xFE14, "the line's code (IL_0010 to IL_0020) makes a tail call at IL_0014, which cannot be inside a protected region: use line_start or line_end")]
    [InlineData((int)RefusalCode.MethodUsesJmp, 0, "the method uses jmp (IL_0014), which cannot leave a protected region: exit hooks cannot wrap it")]
    public void A_refusal_reads_as_before_the_profiler_answered_codes(int code, int count, string expected)
    {
        var refusal = ProbeRefusal.OfLine((RefusalCode)code, 0x10, 0x20, ilOffset: 0x14, otherILOffset: 0x18, count: count);
        Assert.Equal("the method cannot be instrumented: " + expected, ProbeRefusals.Describe(refusal, null));
    }

    [Fact]
    public void A_refusal_without_words_of_its_own_is_the_profiler_s_text()
    {
        Assert.Equal("RequestReJITWithInliners failed (0x80004005)", ProbeRefusals.Describe(new ProbeRefusal(RefusalCode.Other), "RequestReJITWithInliners failed (0x80004005)"));
        Assert.Null(ProbeRefusals.Reason(new ProbeRefusal(RefusalCode.Other)));
        Assert.Equal("methods of Deep.Agent cannot be instrumented", ProbeRefusals.Describe(new ProbeRefusal(RefusalCode.ModuleNotInstrumentable), "methods of Deep.Agent cannot be instrumented"));
        // A code from a newer profiler (the ABI version check normally stops that): still a message, never an exception.
        Assert.Contains("99", ProbeRefusals.Describe(new ProbeRefusal((RefusalCode)99), null), StringComparison.Ordinal);
    }
}
