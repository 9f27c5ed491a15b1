using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Shop;

/// <summary>
/// Stands in for an OpenTelemetry exporter: prints what DEEP's metric and span actions record (meter and activity
/// source "deep"), so the demo shows them without a metrics backend. A real service would use its exporter.
/// </summary>
internal static class Telemetry
{
    private static MeterListener? s_meters;
    private static ActivityListener? s_activities;

    public static void PrintDeepTelemetry()
    {
        s_meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "deep") listener.EnableMeasurementEvents(instrument);
            },
        };
        s_meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Print(i, v, tags));
        s_meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Print(i, v, tags));
        s_meters.Start();

        s_activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "deep",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => Console.WriteLine($"shop: span '{a.DisplayName}' {a.Duration.TotalMilliseconds:0.###} ms trace={a.TraceId}"),
        };
        ActivitySource.AddActivityListener(s_activities);
    }

    private static void Print<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new List<string>();
        foreach (var tag in tags) labels.Add($"{tag.Key}={tag.Value}");
        Console.WriteLine($"shop: metric {instrument.Name} {value} {string.Join(' ', labels)}");
    }
}
