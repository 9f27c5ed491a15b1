using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Deep.Agent.Actions;

/// <summary>
/// A gauge that is set (DEEP's GAUGE). On .NET 9 and later it is the runtime's <c>Gauge&lt;double&gt;</c>, found once
/// by reflection because the agent is built for .NET 8, where that type does not exist: listeners see each value as
/// it is recorded. On .NET 8 it is an <see cref="ObservableGauge{T}"/> that reports the last value recorded for each
/// label set when a listener collects, so a listener sees the latest value, not every one; at most
/// <see cref="MaxLabelSets"/> label sets are kept.
/// </summary>
internal sealed class SettableGauge
{
    internal const int MaxLabelSets = 1000;

    // Gauge<double>.Record(double, in TagList): an `in` parameter is a byref, so a `ref` delegate binds to it.
    private delegate void RecordGauge(double value, ref TagList tags);

    private readonly RecordGauge? _record;
    private readonly ConcurrentDictionary<string, Measurement<double>>? _lastValues;

    public SettableGauge(Meter meter, string name, string? unit, string? description, bool preferRuntimeGauge = true)
    {
        if (preferRuntimeGauge && RuntimeGauge(meter, name, unit, description) is { } record)
        {
            _record = record;
            return;
        }
        _lastValues = new ConcurrentDictionary<string, Measurement<double>>(StringComparer.Ordinal);
        var lastValues = _lastValues;
        meter.CreateObservableGauge(name, () => lastValues.Values, unit, description);
    }

    /// <summary>Whether this gauge is the runtime's own (.NET 9+) rather than the .NET 8 last-value fallback.</summary>
    internal bool IsRuntimeGauge => _record is not null;

    public void Record(double value, TagList tags)
    {
        if (_record is not null)
        {
            _record(value, ref tags);
            return;
        }
        var key = LabelKey(tags);
        if (_lastValues!.Count < MaxLabelSets || _lastValues.ContainsKey(key))
        {
            _lastValues[key] = new Measurement<double>(value, tags);
        }
    }

    private static RecordGauge? RuntimeGauge(Meter meter, string name, string? unit, string? description)
    {
        try
        {
            // CreateGauge<T>(string name, string? unit, string? description, IEnumerable<KeyValuePair<string, object?>>? tags)
            var create = typeof(Meter).GetMethod("CreateGauge", 1,
                [typeof(string), typeof(string), typeof(string), typeof(IEnumerable<KeyValuePair<string, object?>>)]);
            if (create is null)
            {
                return null;
            }
            var gauge = create.MakeGenericMethod(typeof(double)).Invoke(meter, [name, unit, description, null]);
            var record = gauge?.GetType().GetMethod("Record", BindingFlags.Public | BindingFlags.Instance, [typeof(double), typeof(TagList).MakeByRefType()]);
            return record is null ? null : (RecordGauge)Delegate.CreateDelegate(typeof(RecordGauge), gauge, record);
        }
        catch (Exception)
        {
            return null; // an unexpected shape: the fallback still reports the values
        }
    }

    private static string LabelKey(TagList tags)
    {
        var key = new System.Text.StringBuilder();
        foreach (var tag in tags)
        {
            key.Append(tag.Key).Append('\u0001').Append(tag.Value).Append('\u0002');
        }
        return key.ToString();
    }
}
