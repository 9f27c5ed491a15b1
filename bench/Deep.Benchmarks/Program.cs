using BenchmarkDotNet.Running;

namespace Deep.Benchmarks;

/// <summary>Runs the benchmarks chosen on the command line (BenchmarkDotNet switcher).</summary>
public static class Program
{
    /// <summary>Entry point.</summary>
    public static void Main(string[] args)
    {
        if (args is ["capture-limits"])
        {
            CaptureLimitsHarness.Run();
            return;
        }
        if (args is ["ingest", ..])
        {
            int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture) : fallback;
            IngestHarness.RunAsync(Arg(1, 4000), Arg(2, 16), Arg(3, 3)).GetAwaiter().GetResult();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
