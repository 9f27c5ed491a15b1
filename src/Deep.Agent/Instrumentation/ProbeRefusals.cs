using Deep.Abi;

namespace Deep.Agent.Instrumentation;

/// <summary>
/// The words for the profiler's refusals (probe-abi.md §4): the profiler answers a <see cref="RefusalCode"/> with IL
/// offsets, and this is the one place that turns it into what users read in the probe status and snapshots.
/// </summary>
internal static class ProbeRefusals
{
    private const string Prefix = "the method cannot be instrumented: ";

    /// <summary>
    /// The whole message: what was refused and what to do instead. <paramref name="detail"/> is the profiler's text,
    /// used for the codes that have no wording of their own (<see cref="RefusalCode.Other"/>, a module refused).
    /// </summary>
    public static string Describe(ProbeRefusal refusal, string? detail)
    {
        if (Reason(refusal) is not { } reason)
            return detail ?? $"the profiler refused the method ({refusal.Code})";
        return Prefix + reason + Advice(refusal.Code);
    }

    /// <summary>
    /// Why the refused shape cannot be rewritten, without advice: the reason a <c>line_capture</c> placed after its line
    /// (like <c>line_end</c>) has no outcome. Null for the codes without wording of their own.
    /// </summary>
    public static string? Reason(ProbeRefusal r)
    {
        string line = $"the line's code (IL_{r.LineStart:X4} to IL_{r.LineEnd:X4})";
        return r.Code switch
        {
            RefusalCode.LineInFilter =>
                $"{line} is inside an exception filter (a 'when' clause), where no protected region can be opened",
            RefusalCode.LinePartlyOverlapsBlock =>
                $"{line} partly overlaps the {BlockName(r.Count)} IL_{r.ILOffset:X4}-IL_{r.OtherILOffset:X4} of a try statement: " +
                "a protected region cannot cut across it",
            RefusalCode.LineHoldsPartOfTry =>
                $"{line} holds part of a try statement (try IL_{r.ILOffset:X4}, handler IL_{r.OtherILOffset:X4}) whose other part lies outside the line",
            RefusalCode.LineHasExitInstruction =>
                $"{line} {ExitName(r.Count)} at IL_{r.ILOffset:X4}, which cannot be inside a protected region",
            RefusalCode.LineEnteredInMiddle =>
                $"{line} is entered in the middle from outside it (IL_{r.ILOffset:X4} jumps to IL_{r.OtherILOffset:X4}): " +
                "a loop condition, a for header or an await's resume point; a protected region can only be entered at its start",
            RefusalCode.LineStartsWithStack =>
                $"the evaluation stack holds {r.Count} value(s) at the line's first instruction IL_{r.ILOffset:X4}: " +
                "a protected region must start with an empty stack",
            RefusalCode.LineLeavesWithStack =>
                $"IL_{r.ILOffset:X4} leaves the line with {r.Count} value(s) on the evaluation stack: leaving a protected region empties the stack",
            RefusalCode.LinesOverlap =>
                $"two line captures overlap (IL_{r.ILOffset:X4}-IL_{r.OtherILOffset:X4} and IL_{r.LineStart:X4}-IL_{r.LineEnd:X4})",
            RefusalCode.MethodUsesJmp =>
                $"the method uses jmp (IL_{r.ILOffset:X4}), which cannot leave a protected region: exit hooks cannot wrap it",
            RefusalCode.MethodReturnsTypedReference =>
                "the method returns a TypedReference, which cannot be held in a local: exit hooks cannot wrap it",
            _ => null,
        };
    }

    private static string Advice(RefusalCode code) => code switch
    {
        RefusalCode.LineHasExitInstruction => ": use line_start or line_end",
        RefusalCode.LineInFilter or RefusalCode.LineHoldsPartOfTry or RefusalCode.LineEnteredInMiddle => ": use line_end",
        RefusalCode.LinePartlyOverlapsBlock or RefusalCode.LineStartsWithStack or RefusalCode.LineLeavesWithStack => "; use line_end",
        _ => "",
    };

    private static string BlockName(int kind) => (TryBlockKind)kind switch
    {
        TryBlockKind.Try => "try block",
        TryBlockKind.Handler => "handler",
        TryBlockKind.Filter => "filter",
        _ => $"block (kind {kind})",
    };

    private static string ExitName(int opcode) => opcode switch
    {
        0x2A => "returns (ret)",
        0x27 => "uses jmp",
        0xFE14 => "makes a tail call",
        0xDC => "ends a finally block (endfinally)",
        0xFE11 => "ends a filter (endfilter)",
        _ => $"holds the instruction 0x{opcode:X2}",
    };
}
