using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Protocol;
using Deep.Tracepoints;

namespace Deep.Agent.Actions;

/// <summary>
/// Records a tracepoint's metrics into <c>Meter("deep")</c> (§7): COUNTER → Counter, GAUGE → Gauge (sets),
/// HISTOGRAM and SUMMARY → Histogram; instrument name <c>&lt;namespace or "deep"&gt;_&lt;name&gt;</c>.
/// </summary>
internal sealed class MetricAction : ProbeAction
{
    /// <summary>The meter every tracepoint metric is recorded in; any MeterListener in the process sees it.</summary>
    public static readonly Meter Meter = new("deep", ResourceVersion());

    private static readonly ConcurrentDictionary<(string Name, MetricType Type), object> s_instruments = new();
    private readonly Capture.Redactor _redactor;
    private readonly TracepointSpec _spec;
    private Compiled[] _metrics = [];

    public MetricAction(TracePointConfig tracepoint, TracepointSpec spec, RateLimiter limiter, Capture.Redactor? redactor = null)
        : base(tracepoint, limiter)
    {
        _spec = spec;
        _redactor = redactor ?? Capture.Redactor.Default;
    }

    public override ActionKind Kind => ActionKind.Metric;

    private static string ResourceVersion() => typeof(MetricAction).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>The instrument name for a metric.</summary>
    public static string InstrumentName(Metric metric) =>
        $"{(string.IsNullOrEmpty(metric.Namespace) ? "deep" : metric.Namespace)}_{metric.Name}";

    protected override string? PrepareCore(ProbeFrameLayout layout)
    {
        var binding = new ExpressionBinding(layout);
        Condition = Conditions.Compile(_spec.Condition, binding, this, out var error);
        if (error is not null) return error;
        var compiled = new List<Compiled>();
        // The spec's metrics are the tracepoint's, in order; the protocol type keeps the kind, unit and static labels.
        for (var i = 0; i < _spec.Metrics.Count; i++)
        {
            var spec = _spec.Metrics[i];
            var metric = Tracepoint.Metrics[i];
            // A value or label that does not bind at the probed line skips this metric (recorded in the failures,
            // shown in the probe status); the tracepoint's other metrics are recorded.
            var skipped = false;
            CompiledExpression<HitState>? value = null;
            if (spec.Expression is { } valueTree)
            {
                // A metric leaves the process in clear text: what capture redacts must not become a value or a label.
                if (_redactor.IsNamedIn(valueTree.Source))
                    return $"metric '{metric.Name}' expression '{valueTree.Source}' names a redacted member; it cannot be recorded";
                value = binding.Compile($"metric '{metric.Name}' expression '{ExpressionLimits.Abbreviate(valueTree.Source)}'", valueTree, out error);
                if (value is null) return error;
                skipped |= value.Error is not null;
            }
            var labels = new List<(string Key, object? Static, CompiledExpression<HitState>? Expression)>();
            for (var j = 0; j < spec.Labels.Count; j++)
            {
                var label = metric.LabelExpressions[j];
                if (spec.Labels[j].Expression is { } redacted && _redactor.IsNamedIn(redacted.Source))
                {
                    labels.Add((label.Key, Capture.Redactor.RedactedText, null));
                }
                else if (spec.Labels[j].Expression is { } source)
                {
                    var expr = binding.Compile($"metric '{metric.Name}' label '{label.Key}'", source, out error);
                    if (expr is null) return error;
                    skipped |= expr.Error is not null;
                    labels.Add((label.Key, null, expr));
                }
                else
                {
                    labels.Add((label.Key, StaticValue(label.Static), null));
                }
            }
            if (!skipped) compiled.Add(new Compiled(metric, value, labels.ToArray(), Instrument(metric)));
        }
        // Nothing left to record: the action is an error rather than a fire that does nothing.
        if (compiled.Count == 0 && binding.Failures.Count > 0) return string.Join("; ", binding.Failures);
        _metrics = compiled.ToArray();
        FailedExpressions = binding.Failures;
        binding.Log(this);
        return null;
    }

    private static object? StaticValue(AnyValue? value) => value?.ValueCase switch
    {
        AnyValueCase.StringValue => value.StringValue,
        AnyValueCase.BoolValue => value.BoolValue,
        AnyValueCase.IntValue => value.IntValue,
        AnyValueCase.DoubleValue => value.DoubleValue,
        _ => null,
    };

    private static object Instrument(Metric metric) =>
        s_instruments.GetOrAdd((InstrumentName(metric), metric.Type == MetricType.Summary ? MetricType.Histogram : metric.Type), key => key.Type switch
        {
            MetricType.Counter => Meter.CreateCounter<double>(key.Name, metric.Unit, metric.Help),
            MetricType.Gauge => new SettableGauge(Meter, key.Name, metric.Unit, metric.Help),
            _ => Meter.CreateHistogram<double>(key.Name, metric.Unit, metric.Help),
        });

    public override void Process(Hit hit)
    {
        foreach (var metric in _metrics)
        {
            var value = 1.0;
            if (metric.Value is { } expr)
            {
                var result = expr.Evaluate(hit.Values);
                if (result.IsError || !TryToDouble(result.Value, out value))
                {
                    ReportRuntimeError($"metric '{metric.Metric.Name}' value: {result.Error ?? $"'{Capture.ValueText.Format(result.Value, 256, out _)}' is not a number"}");
                    continue;
                }
            }
            var tags = new TagList
            {
                { "tracepoint", TracepointId },
            };
            foreach (var (key, staticValue, labelExpr) in metric.Labels)
            {
                if (labelExpr is null)
                {
                    tags.Add(key, staticValue);
                    continue;
                }
                var result = labelExpr.Evaluate(hit.Values);
                // ValueText never runs application code (no user ToString): labels are formatted like captured values.
                tags.Add(key, result.IsError ? result.Error : Capture.ValueText.Format(result.Value, 256, out _));
            }
            switch (metric.Instrument)
            {
                case Counter<double> counter:
                    counter.Add(value, tags);
                    break;
                case SettableGauge gauge:
                    gauge.Record(value, tags);
                    break;
                case Histogram<double> histogram:
                    histogram.Record(value, tags);
                    break;
            }
        }
    }

    private static bool TryToDouble(object? value, out double result)
    {
        switch (value)
        {
            case bool b:
                result = b ? 1 : 0;
                return true;
            // Only framework numbers: an application type implementing IConvertible would run its own code.
            case IConvertible c when value.GetType().IsPrimitive && value is not char || value is decimal || value is Enum:
                try
                {
                    result = c.ToDouble(System.Globalization.CultureInfo.InvariantCulture);
                    return true;
                }
                catch
                {
                    break;
                }
        }
        result = 0;
        return false;
    }

    private sealed record Compiled(Metric Metric, CompiledExpression<HitState>? Value,
        (string Key, object? Static, CompiledExpression<HitState>? Expression)[] Labels, object Instrument);
}
