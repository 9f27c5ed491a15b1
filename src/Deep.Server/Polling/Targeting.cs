using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Polling;

/// <summary>Which tracepoints a client gets: the DEEP server's exact-match targeting on resource attributes.</summary>
internal static class Targeting
{
    /// <summary>
    /// The tracepoints for a client with these resource attributes, in creation order. A client that sent no
    /// resource (<paramref name="resource"/> null) gets everything; a tracepoint without targeting goes to every client.
    /// </summary>
    public static List<TracePointConfig> Select(IReadOnlyList<TracePointConfig> all, IReadOnlyList<KeyValue>? resource)
    {
        if (resource is null) return all.ToList();
        var result = new List<TracePointConfig>(all.Count);
        foreach (var tp in all)
        {
            if (Matches(tp, resource)) result.Add(tp);
        }
        return result;
    }

    public static bool Matches(TracePointConfig tracepoint, IReadOnlyList<KeyValue> resource)
    {
        foreach (var want in tracepoint.Targeting)
        {
            var found = false;
            foreach (var have in resource)
            {
                if (have.Key == want.Key && ValuesEqual(want.Value, have.Value))
                {
                    found = true;
                    break;
                }
            }
            if (!found) return false;
        }
        return true;
    }

    private static bool ValuesEqual(AnyValue? want, AnyValue? have)
    {
        if (want is null || have is null) return want is null && have is null;
        // Targeting values are strings in practice; compare other kinds by their protobuf value.
        if (want.ValueCase == AnyValue.ValueOneofCase.StringValue && have.ValueCase == AnyValue.ValueOneofCase.StringValue)
            return string.Equals(want.StringValue, have.StringValue, StringComparison.Ordinal);
        return want.Equals(have);
    }
}
