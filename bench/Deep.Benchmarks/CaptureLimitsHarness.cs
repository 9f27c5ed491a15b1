using System.Diagnostics;
using Deep.Agent.Capture;

namespace Deep.Benchmarks;

/// <summary>
/// Issue #12 item 3 without BenchmarkDotNet (whose out-of-process build of this project fails on the Google.Protobuf
/// types of <c>CodecBenchmarks</c>): one capture under raised per-tracepoint limits, median and max of 15 runs after
/// 3 warm-ups, and what stopped it. <c>dotnet run -c Release --project bench/Deep.Benchmarks -- capture-limits</c>.
/// </summary>
internal static class CaptureLimitsHarness
{
    public static void Run()
    {
        var list = Enumerable.Range(0, 1_000_000).ToList();
        var text = new string('x', 10_000_000);
        Measure("List<int> 1M, MAX_COLLECTION_SIZE=1000000", CaptureLimits.Default with { MaxCollectionSize = 1_000_000 }, list, typeof(List<int>));
        Measure("List<int> 1M, MAX_COLLECTION_SIZE=MAX_VARIABLES=1000000", CaptureLimits.Default with { MaxCollectionSize = 1_000_000, MaxVariables = 1_000_000 }, list, typeof(List<int>));
        Measure("string 10M chars, MAX_STRING_LENGTH=10000000", CaptureLimits.Default with { MaxStringLength = 10_000_000 }, text, typeof(string));
    }

    private static void Measure(string name, CaptureLimits limits, object value, Type type)
    {
        var times = new List<double>();
        var variables = 0;
        var stoppedBy = "";
        for (var i = 0; i < 18; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var collector = new VariableCollector(limits, Redactor.Default);
            collector.Capture("v", value, type);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            variables = collector.VarLookup.Count;
            stoppedBy = collector.LimitReached ? collector.VarLookup[collector.Capture("late", 1, typeof(int)).ID].Value : "no limit";
            if (i >= 3) times.Add(elapsed);
        }
        times.Sort();
        Console.WriteLine($"{name}: median {times[times.Count / 2]:0.0} ms, max {times[^1]:0.0} ms, {variables} variables, stopped by {stoppedBy}");
    }
}
