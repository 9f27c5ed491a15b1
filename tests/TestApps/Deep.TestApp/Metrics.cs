using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Deep.TestApp;

/// <summary>
/// "metrics n": runs a line a metric tracepoint can be put on, then reports what a <see cref="MeterListener"/> in
/// this process saw on the agent's meter "deep": each instrument's name, kind and value (counters summed, gauges
/// and histograms the last value), sorted. Observable instruments are collected just before the report.
/// </summary>
internal static class MetricsScenario
{
    private static readonly ConcurrentDictionary<string, double> s_seen = new(StringComparer.Ordinal);
    private static readonly object s_gate = new();
    private static MeterListener? s_listener;

    public static string Run(int n)
    {
        Listen();
        s_seen.Clear();
        int price = Price(n);
        s_listener!.RecordObservableInstruments();
        var seen = s_seen.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value.ToString(CultureInfo.InvariantCulture)}");
        return $"price={price};" + string.Join(";", seen);
    }

    private static int Price(int n)
    {
        int price = n * 10 + 1; // @metric-line
        return price;
    }

    private static void Listen()
    {
        lock (s_gate)
        {
            if (s_listener is not null)
            {
                return;
            }
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == "deep")
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) =>
            {
                // The agent records a gauge with Gauge<T> on .NET 9+ and with an ObservableGauge on .NET 8.
                string kind = instrument.GetType().Name switch
                {
                    "Counter`1" => "counter",
                    "Histogram`1" => "histogram",
                    "Gauge`1" => "gauge",
                    "ObservableGauge`1" => "observable-gauge",
                    var other => other,
                };
                string key = $"{instrument.Name}[{kind}]";
                if (kind == "counter")
                {
                    s_seen.AddOrUpdate(key, value, (_, sum) => sum + value);
                }
                else
                {
                    s_seen[key] = value;
                }
            });
            listener.Start();
            s_listener = listener;
        }
    }
}
