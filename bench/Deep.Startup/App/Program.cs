using System.Diagnostics;
using Deep.Startup.App;

// Read first: the harness compares this with its own CLOCK_MONOTONIC reading (Stopwatch) taken just before it
// started the process, so the difference is the time from spawn to Main (runtime start, startup hooks, profiler).
long mainEntered = Stopwatch.GetTimestamp();

switch (args)
{
    case ["--env"]:
        // Under `deep run`: shows the harness the variables deep run gives a program.
        foreach (var name in new[] { "DOTNET_STARTUP_HOOKS", "CORECLR_ENABLE_PROFILING", "CORECLR_PROFILER", "CORECLR_PROFILER_PATH" })
        {
            Console.WriteLine($"{name}={Environment.GetEnvironmentVariable(name)}");
        }
        return 0;
    case ["--probe"]:
        // Calls the probed line every millisecond until stdin closes (or a minute passes): the harness measures when
        // the first tracepoint log line appears.
        Console.WriteLine($"main {mainEntered}");
        return StartupWork.CallUntilStdinCloses(TimeSpan.FromMinutes(1));
    default:
        Console.WriteLine($"main {mainEntered}");
        Console.WriteLine($"hwm {StartupWork.PeakWorkingSetKb()}");
        return 0;
}
