using System.Diagnostics;
using System.Globalization;
using BenchApp;

// Workloads of the Exception Replay benchmark; each prints "result <name> <value>" lines for the harness.
//   --env                     the agent variables `deep run` gives a program
//   suite <scale>             ns per operation: throw/catch, sync rethrow chain, await chain, escape (steady state)
//   hooked <cycles>           per cycle: an escape (hooks), then the next one (captured: values + snapshot)
//   flood <seconds> <rate> [warm-up seconds]
//                             <rate> escapes a second, 1000 distinct fingerprints: process CPU time (after a flood
//                             of the warm-up's length, not measured)
var inv = CultureInfo.InvariantCulture;
switch (args)
{
    case ["--env"]:
        foreach (var name in new[] { "DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH" })
            Console.WriteLine($"{name}={Environment.GetEnvironmentVariable(name)}");
        return 0;
    case ["suite", var scaleText]:
        int scale = int.Parse(scaleText, inv);
        Suite("throw_catch", Workloads.PerOp(Workloads.ThrowCatch, 4 * scale));
        Suite("rethrow5", Workloads.PerOp(Workloads.Rethrow5, scale));
        Suite("await5", Workloads.PerOp(Workloads.Await5, scale));
        Suite("escape", Workloads.PerOp(Workloads.Escape, scale));
        return 0;
    case ["hooked", var cyclesText]:
        Workloads.Hooked(int.Parse(cyclesText, inv), Report);
        return 0;
    case ["flood", var secondsText, var rateText]:
        Workloads.Flood(int.Parse(secondsText, inv), int.Parse(rateText, inv), 0, Report);
        return 0;
    case ["flood", var secondsText, var rateText, var warmupText]:
        Workloads.Flood(int.Parse(secondsText, inv), int.Parse(rateText, inv), int.Parse(warmupText, inv), Report);
        return 0;
    default:
        Console.Error.WriteLine("usage: --env | suite N | hooked N | flood SECONDS RATE [WARMUP_SECONDS]");
        return 2;
}

void Suite(string name, (double WallNs, double CpuNs) result)
{
    Report(name + "_ns", result.WallNs);
    Report(name + "_cpu_ns", result.CpuNs);
}

void Report(string name, double value) => Console.WriteLine(string.Create(inv, $"result {name} {value:0.###}"));

internal static class Stopwatches
{
    public static double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
}
