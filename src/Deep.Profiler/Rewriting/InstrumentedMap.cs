namespace Deep.Profiler.Rewriting;

/// <summary>
/// The map from a rewritten body's IL offsets back to the original ones (<c>COR_IL_MAP</c> entries for
/// <c>ICorProfilerFunctionControl::SetILInstrumentedCodeMap</c>): with it the runtime reports original IL offsets
/// for rewritten code (stack traces' <c>GetILOffset</c>, their line numbers, debuggers), so a probed method looks the
/// same in a stack trace as before it was probed.
/// </summary>
internal static class InstrumentedMap
{
    /// <summary>
    /// Entries as (old offset, new offset, accurate = 1) triples, ascending: each original instruction maps from
    /// where its inserted code starts (an inserted probe counts as the instruction it precedes); the new code before
    /// the first instruction (the exit hooks' prologue) maps to offset 0.
    /// </summary>
    public static int[] Entries(RewriteResult result)
    {
        var entries = new List<int>();
        int lastNew = -1;
        foreach (var (old, @new) in result.NewOffsets.OrderBy(p => p.Key))
        {
            int from = result.InsertionOffsets.TryGetValue(old, out int inserted) ? Math.Min(inserted, @new) : @new;
            if (entries.Count == 0 && from > 0)
            {
                entries.AddRange([0, 0, 1]);
                lastNew = 0;
            }
            if (from <= lastNew) continue; // the runtime wants new offsets strictly ascending
            entries.AddRange([old, from, 1]);
            lastNew = from;
        }
        return entries.ToArray();
    }
}
