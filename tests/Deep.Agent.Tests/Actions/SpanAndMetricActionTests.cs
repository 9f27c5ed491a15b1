using System.Diagnostics;
using System.Diagnostics.Metrics;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Triggers;
using Deep.Agent.Tests.Probes;
using Deep.Protocol;

namespace Deep.Agent.Tests.Actions;

public class SpanAndMetricActionTests
{
    private readonly Collected _collected = new();

    private int Install(TracePointConfig tp, out TriggerHandler handler)
    {
        handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, new BindingEngine());
        handler.Apply([tp]);
        return handler.Probes.Single().Value;
    }

    private static TracePointConfig Tp(params (string, string)[] args) =>
        ProbeTestSupport.Tracepoint("tp-x", "OrderService.cs", 42, [("fire_count", "-1"), ("fire_period", "0"), .. args]);

    [Fact]
    public void A_span_is_started_from_the_deep_source_with_its_tags_and_Activity_Current_is_restored()
    {
        // Defect 14: the reference agent never restored span contexts.
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "deep",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => stopped.Add(a),
        };
        ActivitySource.AddActivityListener(listener);
        using var outer = new Activity("request").Start();

        var probe = Install(Tp(("snapshot", "no_collect"), ("span", "line"), ("span_name", "checkout-line")), out var handler);
        Assert.True(BindingEngine.Hit(probe, 1, "n"));

        Assert.Same(outer, Activity.Current);
        var span = Assert.Single(stopped);
        Assert.Equal("checkout-line", span.DisplayName);
        Assert.Equal(outer.TraceId, span.TraceId);
        Assert.Equal("deep", span.GetTagItem("dynamic"));
        Assert.Equal("tp-x", span.GetTagItem("tracepoint"));
        Assert.Equal(32, ((string)span.GetTagItem("context")!).Length);
        handler.Clear();
    }

    [Fact]
    public void Activity_Current_is_restored_even_when_another_action_of_the_hit_fails()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "deep",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        Activity.Current = null;
        var probe = ProbeTestSupport.NewProbeId();
        var span = new Deep.Agent.Actions.SpanAction(Tp(), Deep.Agent.Triggers.TracepointParser.Spec(Tp()), new RateLimiter(-1, 0, null, null));
        var failing = new RecordingAction(onProcess: _ => throw new InvalidOperationException("fails after the span started"));
        ProbeRuntime.Table.SetActions(probe, [span, failing]);
        ProbeRuntime.Table.Bind(probe, BindingEngine.DefaultLayout);
        Assert.True(BindingEngine.Hit(probe, 1, "n"));
        Assert.Null(Activity.Current);
        ProbeRuntime.Table.Remove(probe);
    }

    [Fact]
    public void A_snapshot_carries_the_current_activity_trace_and_span_ids_and_the_hit_attributes()
    {
        using var activity = new Activity("checkout").SetIdFormat(ActivityIdFormat.W3C).Start();
        var probe = Install(Tp(), out var handler);
        Thread.CurrentThread.Name ??= "test-thread";
        Assert.True(BindingEngine.Hit(probe, 1, "n"));

        var snapshot = Assert.Single(_collected.Snapshots);
        var attributes = snapshot.Attributes.ToDictionary(a => a.Key, a => a.Value!);
        Assert.Equal(activity.TraceId.ToHexString(), attributes["trace_id"].StringValue);
        Assert.Equal(32, attributes["trace_id"].StringValue!.Length);
        Assert.Equal(activity.SpanId.ToHexString(), attributes["span_id"].StringValue);
        Assert.Equal(16, attributes["span_id"].StringValue!.Length);
        Assert.Equal("checkout", attributes["span_name"].StringValue);
        Assert.Equal("tp-x", attributes["tracepoint"].StringValue);
        Assert.Equal(BindingEngine.DefaultLayout.FilePath, attributes["path"].StringValue);
        Assert.Equal(42, attributes["line"].IntValue);
        Assert.Equal("line_start", attributes["stage"].StringValue);
        Assert.Equal(Environment.CurrentManagedThreadId, attributes["thread_id"].IntValue);
        Assert.Equal(Thread.CurrentThread.Name, attributes["thread_name"].StringValue);
        Assert.Equal(32, attributes["context"].StringValue!.Length);
        Assert.Equal(16, snapshot.ID.Length);
        Assert.Contains(snapshot.Resource, kv => kv.Key == "telemetry.sdk.name" && kv.Value!.StringValue == "deep");
        handler.Clear();
    }

    [Fact]
    public void Without_an_activity_a_snapshot_has_no_trace_attributes()
    {
        Activity.Current = null;
        var probe = Install(Tp(), out var handler);
        BindingEngine.Hit(probe, 1, "n");
        var snapshot = Assert.Single(_collected.Snapshots);
        Assert.DoesNotContain(snapshot.Attributes, a => a.Key is "trace_id" or "span_id" or "span_name");
        handler.Clear();
    }

    [Theory]
    [InlineData(MetricType.Counter, "System.Diagnostics.Metrics.Counter`1")]
    [InlineData(MetricType.Gauge, "System.Diagnostics.Metrics.Gauge`1")]
    [InlineData(MetricType.Histogram, "System.Diagnostics.Metrics.Histogram`1")]
    [InlineData(MetricType.Summary, "System.Diagnostics.Metrics.Histogram`1")]
    public void A_metric_is_recorded_into_the_deep_meter_with_its_labels(MetricType type, string instrumentType)
    {
        var name = $"orders_{type}_{Guid.NewGuid():N}";
        var measurements = new List<(string Instrument, string Kind, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "deep") l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var t in tags) map[t.Key] = t.Value;
            lock (measurements) measurements.Add((i.Name, i.GetType().GetGenericTypeDefinition().FullName!, v, map));
        });
        listener.Start();

        var tp = Tp(("snapshot", "no_collect"));
        var metric = new Metric { Name = name, Type = type, Namespace = "shop" };
        metric.LabelExpressions.Add(new LabelExpression { Key = "region", Static = AnyValue.Of("eu") });
        tp.Metrics.Add(metric);
        var probe = Install(tp, out var handler);
        BindingEngine.Hit(probe, 1, "n");
        BindingEngine.Hit(probe, 2, "n");

        var recorded = measurements.Where(m => m.Instrument == $"shop_{name}").ToList();
        Assert.Equal(2, recorded.Count);
        Assert.All(recorded, m =>
        {
            Assert.Equal(instrumentType, m.Kind);
            Assert.Equal(1.0, m.Value);
            Assert.Equal("eu", m.Tags["region"]);
            Assert.Equal("tp-x", m.Tags["tracepoint"]);
        });
        handler.Clear();
    }

    [Fact]
    public void A_metric_never_runs_application_code_to_format_a_label_or_convert_a_value()
    {
        var name = $"app_{Guid.NewGuid():N}";
        var measurements = new List<(double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "deep" && i.Name.StartsWith("deep_" + name, StringComparison.Ordinal)) l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<double>((_, v, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var t in tags) map[t.Key] = t.Value;
            lock (measurements) measurements.Add((v, map));
        });
        listener.Start();

        var layout = new ProbeFrameLayout([new ProbeSlot("customer", typeof(NoisyCustomer), SlotKind.Local)],
            typeof(SpanAndMetricActionTests).GetMethod(nameof(A_metric_never_runs_application_code_to_format_a_label_or_convert_a_value))!,
            "/src/Shop/OrderService.cs", 42, 0, []);
        var handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, new BindingEngine(_ => layout));
        var tp = Tp(("snapshot", "no_collect"));
        var metric = new Metric { Name = name, Type = MetricType.Histogram, Expression = "customer" };
        metric.LabelExpressions.Add(new LabelExpression { Key = "who", Expression = "customer" });
        tp.Metrics.Add(metric);
        var counted = new Metric { Name = name + "_count", Type = MetricType.Histogram };
        counted.LabelExpressions.Add(new LabelExpression { Key = "who", Expression = "customer" });
        tp.Metrics.Add(counted);
        handler.Apply([tp]);
        var probe = handler.Probes.Single().Value;

        var customer = new NoisyCustomer();
        Assert.True(ProbeRuntime.Enter(probe));
        ProbeRuntime.ValueObject(customer, 0);
        ProbeRuntime.Fire(probe);

        Assert.Equal(0, customer.CodeRuns);
        // The first metric's value cannot be read as a number without running its code: only the counted one records,
        // and its label is the value as capture shows it (the type name), not the object's ToString.
        var recorded = Assert.Single(measurements);
        Assert.Equal(1.0, recorded.Value);
        Assert.NotEqual("ran ToString", recorded.Tags["who"]);
        Assert.Contains("NoisyCustomer", (string)recorded.Tags["who"]!, StringComparison.Ordinal);
        handler.Clear();
    }

    private sealed class NoisyCustomer : IConvertible
    {
        public int CodeRuns;
        public override string ToString() { CodeRuns++; return "ran ToString"; }
        public TypeCode GetTypeCode() { CodeRuns++; return TypeCode.Object; }
        public double ToDouble(IFormatProvider? provider) { CodeRuns++; return 42; }
        public bool ToBoolean(IFormatProvider? provider) => throw new NotSupportedException();
        public byte ToByte(IFormatProvider? provider) => throw new NotSupportedException();
        public char ToChar(IFormatProvider? provider) => throw new NotSupportedException();
        public DateTime ToDateTime(IFormatProvider? provider) => throw new NotSupportedException();
        public decimal ToDecimal(IFormatProvider? provider) => throw new NotSupportedException();
        public short ToInt16(IFormatProvider? provider) => throw new NotSupportedException();
        public int ToInt32(IFormatProvider? provider) => throw new NotSupportedException();
        public long ToInt64(IFormatProvider? provider) => throw new NotSupportedException();
        public sbyte ToSByte(IFormatProvider? provider) => throw new NotSupportedException();
        public float ToSingle(IFormatProvider? provider) => throw new NotSupportedException();
        public string ToString(IFormatProvider? provider) { CodeRuns++; return "ran ToString"; }
        public object ToType(Type conversionType, IFormatProvider? provider) => throw new NotSupportedException();
        public ushort ToUInt16(IFormatProvider? provider) => throw new NotSupportedException();
        public uint ToUInt32(IFormatProvider? provider) => throw new NotSupportedException();
        public ulong ToUInt64(IFormatProvider? provider) => throw new NotSupportedException();
    }

    [Fact]
    public void A_metric_label_that_names_a_redacted_member_is_recorded_as_redacted_and_a_redacted_value_is_refused()
    {
        var name = $"login_{Guid.NewGuid():N}";
        var measurements = new List<(string Instrument, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == "deep" && i.Name.StartsWith("deep_" + name, StringComparison.Ordinal)) l.EnableMeasurementEvents(i);
        };
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var t in tags) map[t.Key] = t.Value;
            lock (measurements) measurements.Add((i.Name, map));
        });
        listener.Start();

        var layout = new ProbeFrameLayout(
            [new ProbeSlot("user", typeof(string), SlotKind.Local), new ProbeSlot("password", typeof(string), SlotKind.Local)],
            typeof(SpanAndMetricActionTests).GetMethod(nameof(A_metric_label_that_names_a_redacted_member_is_recorded_as_redacted_and_a_redacted_value_is_refused))!,
            "/src/Shop/Login.cs", 12, 0, []);
        var handler = new TriggerHandler(Collected.Context(_collected), ProbeRuntime.Table, new BindingEngine(_ => layout));
        var labelled = Tp(("snapshot", "no_collect"));
        var counted = new Metric { Name = name + "_attempts", Type = MetricType.Counter };
        counted.LabelExpressions.Add(new LabelExpression { Key = "user", Expression = "user" });
        counted.LabelExpressions.Add(new LabelExpression { Key = "secret_size", Expression = "password.Length" });
        labelled.Metrics.Add(counted);
        var valued = ProbeTestSupport.Tracepoint("tp-y", "OrderService.cs", 42, [("fire_count", "-1"), ("fire_period", "0"), ("snapshot", "no_collect")]);
        valued.Metrics.Add(new Metric { Name = name + "_length", Type = MetricType.Histogram, Expression = "password.Length" });
        handler.Apply([labelled, valued]);
        var probe = handler.Probes.Single().Value;

        Assert.True(ProbeRuntime.Enter(probe));
        ProbeRuntime.Value("ada", 0);
        ProbeRuntime.Value("hunter2", 1);
        ProbeRuntime.Fire(probe);

        // Only the counter records; its label naming the password is redacted, the other is the value.
        var recorded = Assert.Single(measurements);
        Assert.Equal("deep_" + name + "_attempts", recorded.Instrument);
        Assert.Equal("[redacted]", recorded.Tags["secret_size"]);
        Assert.Contains("ada", (string)recorded.Tags["user"]!, StringComparison.Ordinal);
        Assert.DoesNotContain(recorded.Tags.Values, v => v is string text && text.Contains("hunter2", StringComparison.Ordinal));
        // The tracepoint whose value is the password's length is not armed, and says why.
        Assert.Equal("tp-x", Assert.Single(ProbeRuntime.Table.ArmedActions(probe)).TracepointId);
        var refused = new Deep.Agent.Actions.MetricAction(valued, Deep.Agent.Triggers.TracepointParser.Spec(valued), new RateLimiter(-1, 0, null, null), Deep.Agent.Capture.Redactor.Default);
        Assert.False(refused.Prepare(layout));
        Assert.Contains("'password.Length' names a redacted member", refused.PrepareError, StringComparison.Ordinal);
        handler.Clear();
    }

    [Fact]
    public void A_metric_without_a_namespace_is_named_deep_underscore_name()
    {
        Assert.Equal("deep_hits", Deep.Agent.Actions.MetricAction.InstrumentName(new Metric { Name = "hits" }));
    }
}
