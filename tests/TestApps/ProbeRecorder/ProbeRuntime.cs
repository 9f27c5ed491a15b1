using System.Collections.Concurrent;
using System.Text;

namespace Deep.Agent.Probes;

/// <summary>Records what the rewritten IL hands over: one line per hit, "probeId|slot:Type=value,...".</summary>
public static class ProbeRuntime
{
    private static readonly ConcurrentQueue<string> s_hits = new();

    [ThreadStatic]
    private static StringBuilder? t_values;

    /// <summary>Probe ids for which Enter answers false (to test the skip branch).</summary>
    public static readonly ConcurrentDictionary<int, bool> Disabled = new();

    public static bool Enter(int probeId)
    {
        if (Disabled.ContainsKey(probeId))
            return false;
        (t_values ??= new StringBuilder()).Clear();
        return true;
    }

    public static void Value<T>(T value, int slot) => Append(slot, typeof(T).Name, value);

    public static void ValueObject(object? value, int slot) => Append(slot, "object", value);

    public static void Fire(int probeId)
    {
        s_hits.Enqueue($"{probeId}|{t_values}");
        t_values?.Clear();
    }

    /// <summary>The start "timestamp" the exit hooks and line captures store: a fixed value the duration slot shows.</summary>
    public const long FixedTimestamp = 1000;

    public static long Timestamp() => FixedTimestamp;

    public static long TimestampIf(int probeId) => Disabled.ContainsKey(probeId) ? 0 : FixedTimestamp;

    /// <summary>Hands the start back (-1 for 0, as the agent's): the recorded duration shows which start the IL passed.</summary>
    public static long ElapsedNanos(long start) => start == 0 ? -1 : start;

    /// <summary>Takes all hits recorded so far.</summary>
    public static List<string> Drain()
    {
        var list = new List<string>();
        while (s_hits.TryDequeue(out var hit))
            list.Add(hit);
        return list;
    }

    private static void Append(int slot, string type, object? value)
    {
        var sb = t_values ??= new StringBuilder();
        if (sb.Length > 0)
            sb.Append(',');
        string text = value is Exception e ? $"{e.GetType().Name}({e.Message})" : value?.ToString() ?? "null";
        sb.Append(slot).Append(':').Append(type).Append('=').Append(text);
    }
}
