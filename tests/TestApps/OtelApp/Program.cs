using System.Diagnostics;
using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OtelApp;

// Reads commands on stdin, answers "ok <command> ...":
//   work N    runs Orders.Total(N) inside the app's own activity "request"; prints its trace and span ids
//   spans     the spans exported from ActivitySource "deep": name|trace|parent|tracepoint, ';'-separated
//   metrics   flushes the meter provider; the exported sums of Meter "deep": name=sum, ';'-separated
public static class Program
{
    private static readonly ActivitySource App = new("OtelApp");

    public static int Main()
    {
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource("OtelApp").AddSource("deep").AddInMemoryExporter(spans).Build()!;
        using var metering = Sdk.CreateMeterProviderBuilder().AddMeter("deep").AddInMemoryExporter(metrics).Build()!;
        Console.WriteLine("ready");
        string? line;
        while ((line = Console.ReadLine()) != null)
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "work":
                    using (var request = App.StartActivity("request")!)
                    {
                        var total = Orders.Total(int.Parse(parts[1], CultureInfo.InvariantCulture));
                        Console.WriteLine($"ok work trace={request.TraceId} span={request.SpanId} total={total}");
                    }
                    break;
                case "spans":
                    lock (spans)
                    {
                        var deep = spans.Where(s => s.Source.Name == "deep")
                            .Select(s => $"{s.DisplayName}|{s.TraceId}|{s.ParentSpanId}|{s.GetTagItem("tracepoint")}");
                        Console.WriteLine("ok spans " + string.Join(";", deep));
                    }
                    break;
                case "metrics":
                    metrics.Clear();
                    metering.ForceFlush();
                    Console.WriteLine("ok metrics " + string.Join(";", metrics.Where(m => m.MeterName == "deep").Select(m => $"{m.Name}={Sum(m).ToString(CultureInfo.InvariantCulture)}")));
                    break;
            }
        }
        return 0;
    }

    private static double Sum(MetricSnapshot metric)
    {
        double sum = 0;
        foreach (var point in metric.MetricPoints)
        {
            sum += metric.MetricType switch
            {
                MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
                MetricType.LongGauge => point.GetGaugeLastValueLong(),
                MetricType.DoubleGauge => point.GetGaugeLastValueDouble(),
                _ => double.NaN,
            };
        }
        return sum;
    }
}
