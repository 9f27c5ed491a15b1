using System.Globalization;
using System.Text;
using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Cli.Snapshots;

/// <summary>
/// A snapshot as a readable tree: a header, the frames (innermost first) with each frame's variables expanded by
/// following <c>var_lookup</c> references down to a depth, the watches, and the attributes.
/// </summary>
internal static class SnapshotTree
{
    public static string Render(Snapshot s, int maxDepth)
    {
        var sb = new StringBuilder();
        sb.Append("snapshot ").Append(Convert.ToHexStringLower(s.ID.ToByteArray())).Append('\n');
        if (s.Tracepoint is { } tp)
            sb.Append("  tracepoint  ").Append(tp.ID).Append(" at ").Append(Tracepoints.TracepointCommands.Describe(tp)).Append('\n');
        sb.Append("  time        ").Append(FormatTime(s.TsNanos));
        if (s.DurationNanos > 0) sb.Append(CultureInfo.InvariantCulture, $" (collected in {s.DurationNanos / 1e6:0.###} ms)");
        sb.Append('\n');
        if (s.HasLogMsg) sb.Append("  log         ").Append(s.LogMsg).Append('\n');
        foreach (var kv in s.Resource) sb.Append("  resource    ").Append(kv.Key).Append(" = ").Append(Value(kv.Value)).Append('\n');

        sb.Append("frames\n");
        for (var i = 0; i < s.Frames.Count; i++)
        {
            var f = s.Frames[i];
            sb.Append(CultureInfo.InvariantCulture, $"  #{i} ");
            if (f.HasClassName && f.ClassName.Length > 0) sb.Append(f.ClassName).Append('.');
            sb.Append(f.MethodName).Append(" (").Append(f.HasShortPath && f.ShortPath.Length > 0 ? f.ShortPath : f.FileName)
                .Append(':').Append(f.LineNumber).Append(')');
            if (f.IsAsync) sb.Append(" async");
            if (f.HasAppFrame && !f.AppFrame) sb.Append(" [library]");
            sb.Append('\n');
            foreach (var v in f.Variables) AppendVariable(sb, s, v, 3, 1, maxDepth, new HashSet<string>());
        }
        if (s.Watches.Count > 0)
        {
            sb.Append("watches\n");
            foreach (var w in s.Watches)
            {
                if (w.ResultCase == WatchResult.ResultOneofCase.ErrorResult)
                {
                    sb.Append("  ").Append(w.Expression).Append("  !! ").Append(w.ErrorResult).Append('\n');
                }
                else if (w.GoodResult is { } good)
                {
                    var named = good.Clone();
                    named.Name = w.Expression;
                    AppendVariable(sb, s, named, 2, 1, maxDepth, new HashSet<string>());
                }
            }
        }
        if (s.Attributes.Count > 0)
        {
            sb.Append("attributes\n");
            foreach (var kv in s.Attributes) sb.Append("  ").Append(kv.Key).Append(" = ").Append(Value(kv.Value)).Append('\n');
        }
        return sb.ToString();
    }

    private static void AppendVariable(StringBuilder sb, Snapshot s, VariableID id, int indent, int depth, int maxDepth, HashSet<string> path)
    {
        sb.Append(' ', indent).Append(id.Name);
        if (!s.VarLookup.TryGetValue(id.ID, out var v))
        {
            sb.Append(" = <missing ").Append(id.ID).Append(">\n");
            return;
        }
        sb.Append(": ").Append(v.Type).Append(" = ").Append(v.Value);
        if (v.Truncated) sb.Append(" (truncated)");
        if (v.Children.Count == 0)
        {
            sb.Append('\n');
            return;
        }
        if (depth >= maxDepth)
        {
            sb.Append(CultureInfo.InvariantCulture, $" [+{v.Children.Count}]\n");
            return;
        }
        if (!path.Add(id.ID))
        {
            sb.Append(" (cycle)\n");
            return;
        }
        sb.Append('\n');
        foreach (var child in v.Children) AppendVariable(sb, s, child, indent + 2, depth + 1, maxDepth, path);
        path.Remove(id.ID);
    }

    internal static string FormatTime(ulong nanos)
        => nanos == 0 ? "-" : DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100)).ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static string Value(AnyValue? v) => v is null ? "" : v.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => v.StringValue,
        AnyValue.ValueOneofCase.BoolValue => v.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.IntValue => v.IntValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.DoubleValue => v.DoubleValue.ToString(CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BytesValue => Convert.ToBase64String(v.BytesValue.ToByteArray()),
        AnyValue.ValueOneofCase.ArrayValue => "[" + string.Join(", ", v.ArrayValue.Values.Select(Value)) + "]",
        AnyValue.ValueOneofCase.KvlistValue => "{" + string.Join(", ", v.KvlistValue.Values.Select(kv => kv.Key + "=" + Value(kv.Value))) + "}",
        _ => "",
    };
}
