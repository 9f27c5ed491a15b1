using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchHost;

namespace BenchApp;

internal static class Workloads
{
    /// <summary>
    /// Median of 7 batches (after one warm-up batch) of <paramref name="count"/>/7 operations: wall time and the
    /// thread's CPU time, ns per operation.
    /// </summary>
    public static (double WallNs, double CpuNs) PerOp(Action<int> op, int count)
    {
        int batch = Math.Max(1, count / 7);
        var wall = new List<double>();
        var cpu = new List<double>();
        for (int b = -1; b < 7; b++)
        {
            long cpu0 = ThreadCpu.Nanoseconds();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++) op(i);
            long elapsed = Stopwatch.GetTimestamp() - start;
            long cpuNs = ThreadCpu.Nanoseconds() - cpu0;
            if (b < 0) continue;
            wall.Add(Stopwatches.Ns(elapsed) / batch);
            cpu.Add((double)cpuNs / batch);
        }
        return (Median(wall), Median(cpu));
    }

    // 1. Thrown and caught inside the app: never an escape.
    public static void ThrowCatch(int i)
    {
        try
        {
            Orders.Validate(-i - 1);
        }
        catch (ArgumentOutOfRangeException)
        {
            // the app's own business
        }
    }

    // 2. Thrown five app frames deep, each frame catching and rethrowing (`throw;`): five re-raises by app code.
    public static void Rethrow5(int i)
    {
        try
        {
            Orders.Rethrowing(5, -i - 1);
        }
        catch (ArgumentOutOfRangeException)
        {
            // caught by the app
        }
    }

    // 3. Thrown in an async method five awaits deep, awaited by app code at every level.
    public static void Await5(int i)
    {
        try
        {
            Orders.AwaitingAsync(5, -i - 1).GetAwaiter().GetResult();
        }
        catch (ArgumentOutOfRangeException)
        {
            // caught by the app
        }
    }

    private static readonly Action<int> Request = Orders.Checkout;

    // 4. Escapes three app frames deep through a pipeline that is not the app's (same fingerprint every time).
    public static void Escape(int i)
    {
        try
        {
            Pipeline.Invoke(Request, -i - 1);
        }
        catch (ArgumentOutOfRangeException)
        {
            // what the host does with it
        }
    }

    /// <summary>
    /// Per cycle (needs DEEP_EXCEPTION_REPLAY_INTERVAL=3): an escape (the first of its interval: hooks its frames),
    /// a pause for the hooks to go in, then two timed escapes (with replay on: their frames hooked, values attached on
    /// this thread; a snapshot built on the agent's), then a pause past the interval. Before each timed escape a call
    /// that returns normally compiles the code version now in place (a hook going in or out is a new JIT), so the
    /// escapes are timed without the JIT. Also the CPU time of the agent's deep-replay thread over all cycles.
    /// </summary>
    public static void Hooked(int cycles, Action<string, double> report)
    {
        for (int i = 0; i < 50; i++) Escape(i); // warm: the paths of a throw are compiled
        Thread.Sleep(4500); // past the interval: the warm-up's hooks have gone
        var replayThread = AgentThreadTicks();
        var hooked = new List<double>();
        var firsts = new List<double>();
        var jits = new List<double>();
        for (int c = 0; c < cycles; c++)
        {
            Orders.Checkout(1);
            firsts.Add(TimeEscape(c));
            Thread.Sleep(1000);
            long start = Stopwatch.GetTimestamp();
            Orders.Checkout(1);
            jits.Add(Stopwatches.Ns(Stopwatch.GetTimestamp() - start));
            hooked.Add(TimeEscape(c));
            hooked.Add(TimeEscape(c));
            Thread.Sleep(3200);
        }
        report("first_escape_us", Median(firsts) / 1000);
        report("hooked_escape_us", Median(hooked) / 1000);
        report("call_after_hooking_us", Median(jits) / 1000);
        var after = AgentThreadTicks();
        // Clock ticks (1/100 s on Linux): coarse, so summed over all cycles and shown per cycle.
        if (replayThread >= 0 && after >= 0) report("replay_thread_ms_per_cycle", (after - replayThread) * 10.0 / cycles);
    }

    private static double TimeEscape(int i)
    {
        long start = Stopwatch.GetTimestamp();
        Escape(i);
        return Stopwatches.Ns(Stopwatch.GetTimestamp() - start);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>
    /// <paramref name="rate"/> escapes a second for <paramref name="seconds"/>, going round 1000 distinct fingerprints
    /// (10 exception types × 10 stack depths × 10 throw sites); the process's CPU time over that work.
    /// </summary>
    public static void Flood(int seconds, int rate, int warmupSeconds, Action<string, double> report)
    {
        for (int k = 0; k < 1000; k++) Flooding.Escape(k + 1000); // warm every path (fingerprints differ by k % 1000 only)
        Thread.Sleep(3000);
        // A flood before the measured one: what the process pays once (the JIT promoting the agent's code paths it
        // now uses, tens of seconds at this rate) falls here, and the measured flood shows the steady cost.
        FloodFor(warmupSeconds, rate);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        long thread0 = ThreadCpu.Nanoseconds();
        var replay0 = AgentThreadTicks();
        var jit0 = JitThreadTicks();
        var clock = Stopwatch.StartNew();
        long done = FloodFor(seconds, rate);
        var wall = clock.Elapsed;
        long threadNs = ThreadCpu.Nanoseconds() - thread0;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        report("flood_escapes", done);
        report("flood_wall_s", wall.TotalSeconds);
        report("flood_cpu_ms", cpu.TotalMilliseconds);
        report("flood_cpu_us_per_escape", cpu.TotalMilliseconds * 1000 / done);
        report("flood_app_thread_cpu_us_per_escape", threadNs / 1000.0 / done);
        var replay = AgentThreadTicks();
        if (replay0 >= 0 && replay >= 0) report("flood_replay_thread_ms", (replay - replay0) * 10.0);
        // A lower bound: the runtime ends that thread after a few idle seconds and starts a new one when needed.
        var jit = JitThreadTicks();
        if (jit0 >= 0 && jit >= jit0) report("flood_jit_thread_ms", (jit - jit0) * 10.0);
    }

    // rate escapes a second for so many seconds, going round the 1000 fingerprints; returns how many.
    private static long FloodFor(int seconds, int rate)
    {
        long total = (long)seconds * rate, done = 0;
        var clock = Stopwatch.StartNew();
        while (done < total)
        {
            long due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate) + 1);
            while (done < due) Flooding.Escape((int)(done++ % 1000));
            Thread.Sleep(1);
        }
        return done;
    }

    // utime + stime of the agent's deep-replay thread, in clock ticks; -1 when there is none (replay off).
    private static long AgentThreadTicks() => ThreadTicks("deep-replay");

    // The runtime's tiered-compilation thread: the JIT promoting hot code to tier 1 in the background (-1: none now).
    private static long JitThreadTicks() => ThreadTicks(".NET Tiered Com");

    // utime + stime of the threads named so (Linux: /proc/self/task/*/comm, 15 characters), in clock ticks; -1 when none.
    private static long ThreadTicks(string name)
    {
        long ticks = -1;
        try
        {
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != name) continue;
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    ticks = Math.Max(ticks, 0) + long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }
        }
        catch (IOException)
        {
        }
        return ticks;
    }
}

/// <summary>The app's methods a failure goes through (three frames, named, so Exception Replay can hook them).</summary>
internal static class Orders
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Validate(int quantity)
    {
        if (quantity < 0) throw new ArgumentOutOfRangeException(nameof(quantity), quantity, "negative");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Rethrowing(int depth, int quantity)
    {
        try
        {
            if (depth == 0) Validate(quantity);
            else Rethrowing(depth - 1, quantity);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw;
        }
    }

    public static async Task AwaitingAsync(int depth, int quantity)
    {
        if (depth == 0)
        {
            await Task.CompletedTask.ConfigureAwait(false);
            Validate(quantity);
            return;
        }
        await AwaitingAsync(depth - 1, quantity).ConfigureAwait(false);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Checkout(int quantity)
    {
        var total = Price(quantity);
        GC.KeepAlive(total);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static decimal Price(int quantity)
    {
        Validate(quantity);
        return quantity * 2.5m;
    }
}
