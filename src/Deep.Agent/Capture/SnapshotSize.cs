using System.Globalization;
using Deep.Protocol;

namespace Deep.Agent.Capture;

/// <summary>
/// Keeps a snapshot within the size the agent can send (<see cref="CaptureLimits.MaxSnapshotBytes"/>). Capture's
/// own size budget keeps the variables within bounds; this is the last check on the whole message (frames, the
/// tracepoint, the log message), run on the sending thread, never on the application's.
/// </summary>
internal static class SnapshotSize
{
    /// <summary>The snapshot attribute that says what was cut to make a snapshot fit.</summary>
    public const string CutAttribute = "truncated";

    /// <summary>A log message is cut to this many characters when the snapshot is too large.</summary>
    internal const int ShrunkLogChars = 16_384;

    /// <summary>A variable's text is cut to this many characters when the snapshot is too large.</summary>
    internal const int ShrunkValueChars = 1024;

    // Room kept for the attribute that records the cut.
    private const int AttributeRoom = 512;

    /// <summary>
    /// Shrinks <paramref name="snapshot"/> until its encoding is at most <paramref name="maxBytes"/>, in this order:
    /// the log message, the outer frames, long variable texts, then every variable's content. Each step that was
    /// needed is named in the <see cref="CutAttribute"/> attribute. False when even that does not fit (the snapshot
    /// is then not sent).
    /// </summary>
    public static bool Fit(Snapshot snapshot, int maxBytes, out int size)
    {
        size = ProtoCodec.CalculateSize(snapshot);
        if (size <= maxBytes) return true;
        var original = size;
        var target = Math.Max(0, maxBytes - AttributeRoom);
        var cuts = new List<string>();

        if (snapshot.LogMsg is { Length: > ShrunkLogChars } log)
        {
            snapshot.LogMsg = log[..ShrunkLogChars];
            cuts.Add($"log_msg cut from {log.Length} characters");
            size = ProtoCodec.CalculateSize(snapshot);
        }
        if (size > target && snapshot.Frames.Count > 1)
        {
            cuts.Add($"{snapshot.Frames.Count - 1} outer frame(s) left out");
            snapshot.Frames.RemoveRange(1, snapshot.Frames.Count - 1);
            size = ProtoCodec.CalculateSize(snapshot);
        }
        if (size > target)
        {
            var shortened = 0;
            foreach (var variable in snapshot.VarLookup.Values)
            {
                if (variable.Value.Length <= ShrunkValueChars) continue;
                variable.Value = variable.Value[..ShrunkValueChars];
                variable.Truncated = true;
                shortened++;
            }
            if (shortened > 0)
            {
                cuts.Add($"{shortened} variable text(s) cut to {ShrunkValueChars} characters");
                size = ProtoCodec.CalculateSize(snapshot);
            }
        }
        if (size > target && snapshot.VarLookup.Count > 0)
        {
            foreach (var variable in snapshot.VarLookup.Values)
            {
                variable.Value = "[not captured: snapshot size limit reached]";
                variable.Children.Clear();
                variable.Truncated = true;
            }
            cuts.Add($"the content of all {snapshot.VarLookup.Count} variable(s) left out");
            size = ProtoCodec.CalculateSize(snapshot);
        }
        if (size > target) return false;
        snapshot.Attributes.Add(new KeyValue(CutAttribute,
            $"snapshot size limit of {maxBytes.ToString(CultureInfo.InvariantCulture)} bytes (was {original.ToString(CultureInfo.InvariantCulture)}): {string.Join("; ", cuts)}"));
        size = ProtoCodec.CalculateSize(snapshot);
        return size <= maxBytes;
    }
}
