using System.Diagnostics;
using System.Diagnostics.Metrics;
using Deep.Agent.Actions;

namespace Deep.Agent.Tests.Actions;

// DEEP's GAUGE on every runtime: the runtime's Gauge<double> where it exists (.NET 9+, these tests run on 10), and
// on .NET 8 an observable gauge holding the last value per label set (forced here with preferRuntimeGauge: false).
public sealed class SettableGaugeTests : IDisposable
{
    private readonly Meter _meter = new("deep-gauge-test-" + Guid.NewGuid().ToString("N"));
    private readonly MeterListener _listener = new();
    private readonly List<(string Kind, double Value, string Tags)> _seen = [];

    public SettableGaugeTests()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == _meter) l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var text = string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            lock (_seen) _seen.Add((instrument.GetType().Name, value, text));
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    private static TagList Tags(string region) => new() { { "tracepoint", "tp1" }, { "region", region } };

    [Fact]
    public void On_this_runtime_it_is_the_runtime_s_gauge_and_listeners_see_every_value()
    {
        var gauge = new SettableGauge(_meter, "price", "EUR", "the price");
        gauge.Record(3, Tags("eu"));
        gauge.Record(5, Tags("eu"));

        Assert.True(gauge.IsRuntimeGauge);
        Assert.Equal([("Gauge`1", 3.0, "tracepoint=tp1,region=eu"), ("Gauge`1", 5.0, "tracepoint=tp1,region=eu")], _seen);
    }

    [Fact]
    public void The_dotnet_8_fallback_reports_the_last_value_of_each_label_set_when_collected()
    {
        var gauge = new SettableGauge(_meter, "price", "EUR", "the price", preferRuntimeGauge: false);
        gauge.Record(3, Tags("eu"));
        gauge.Record(5, Tags("eu"));
        gauge.Record(7, Tags("us"));

        Assert.False(gauge.IsRuntimeGauge);
        Assert.Empty(_seen); // nothing until a listener collects
        _listener.RecordObservableInstruments();

        Assert.Equal([("ObservableGauge`1", 5.0, "tracepoint=tp1,region=eu"), ("ObservableGauge`1", 7.0, "tracepoint=tp1,region=us")],
            _seen.OrderBy(s => s.Tags, StringComparer.Ordinal));
    }

    [Fact]
    public void The_fallback_keeps_a_bounded_number_of_label_sets_and_still_updates_the_ones_it_has()
    {
        var gauge = new SettableGauge(_meter, "price", null, null, preferRuntimeGauge: false);
        for (int i = 0; i < SettableGauge.MaxLabelSets + 50; i++)
        {
            gauge.Record(i, Tags("r" + i));
        }
        gauge.Record(-1, Tags("r0"));

        _listener.RecordObservableInstruments();

        Assert.Equal(SettableGauge.MaxLabelSets, _seen.Count);
        Assert.Contains(("ObservableGauge`1", -1.0, "tracepoint=tp1,region=r0"), _seen);
        Assert.DoesNotContain(_seen, s => s.Tags.EndsWith("=r" + SettableGauge.MaxLabelSets, StringComparison.Ordinal));
    }
}
