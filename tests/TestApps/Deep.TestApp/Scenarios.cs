using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// The integration tests find lines by their `// @marker` comments: edit freely, keep the markers unique.
// Locals are used more than once so that Release builds keep them in slots.
internal static class Scenarios
{
    public static string Run(string name, string argument)
    {
        int n = argument.Length > 0 && int.TryParse(argument, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 1;
        return name switch
        {
            "env" => Environment.GetEnvironmentVariable(argument) ?? "<unset>",
            "runtime" => Environment.Version.ToString(),
            "metrics" => MetricsScenario.Run(n),
            "stdin-echo" => argument,
            "orders" => new OrderBook("book-" + n).Total(n).ToString(CultureInfo.InvariantCulture),
            "scale" => Calculator.Scale(n, 1.5).ToString(CultureInfo.InvariantCulture),
            "flow" => Flow.Everything(n),
            "hot" => Hot.Loop(n).ToString(CultureInfo.InvariantCulture),
            "threads" => Threads.Run(10, n).ToString(CultureInfo.InvariantCulture),
            "refs" => Refs.Call(n),
            "struct" => new Point(n, n + 1).LengthSquared().ToString(CultureInfo.InvariantCulture),
            "bench" => Bench.Measure(n),
            "async" => new AsyncOrders("async-" + n).SumAsync(n).GetAwaiter().GetResult().ToString(CultureInfo.InvariantCulture),
            "async-outcome" => AsyncOutcomes.Run(argument),
            "closures" => Closures.Run(n) + "|" + Closures.StructClosure(n).ToString(CultureInfo.InvariantCulture),
            "methods" => MethodScenarios.Run(argument),
            "generics" => Generics.Run(n),
            "generics-late" => Generics.RunLate(n),
            "members" => Members.Run(n),
            "tariff" => Tariff.Rate.ToString(CultureInfo.InvariantCulture),
            "iterators" => Iterators.Run(n),
            "plugins" or "plugins-more" => Plugins.Run(name, n),
            "plugins-collected" => Plugins.Collected(),
            "line-capture" => LineCaptures.Run(argument),
            "corpus" => Corpus.Run(n),
            "text-loop" => TextLoop.Run(n),
            "big-values" => BigValues.Run(n),
            _ => throw new ArgumentException($"no scenario '{name}'"),
        };
    }
}

internal sealed class OrderBook(string name)
{
    private readonly List<int> _quantities = [];

    public string Name { get; } = name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Total(int count)
    {
        int sum = 0;
        string label = Name + ":" + count;
        for (int i = 0; i < count; i++)
        {
            int quantity = (i + 1) * 10; // @orders-loop
            _quantities.Add(quantity);
            sum += quantity;
            // @orders-comment

            sum += label.Length; // @orders-after-comment
        }
        _quantities.Clear();
        return sum + label.Length; // @orders-return
    }
}

internal static class Calculator
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double Scale(int value, double factor)
    {
        double scaled = value * factor; // @scale-line
        double rounded = Math.Round(scaled, 2);
        return rounded + scaled - scaled; // @scale-return
    }
}

internal static class Flow
{
    public static string Everything(int n) =>
        $"{TryCatchFinally(n)}|{Switch(n)}|{Using(n)}";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string TryCatchFinally(int n)
    {
        string state = "start";
        try
        {
            state = "try"; // @try-line
            if (n % 2 == 0)
            {
                throw new InvalidOperationException("even " + n);
            }
            state += "-ok";
        }
        catch (InvalidOperationException e)
        {
            string message = e.Message; // @catch-line
            state = "caught:" + message;
        }
        finally
        {
            state += "+finally"; // @finally-line
        }
        return state;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Switch(int n)
    {
        string kind;
        switch (n % 3)
        {
            case 0:
                kind = "zero"; // @switch-zero
                break;
            case 1:
                kind = "one"; // @switch-one
                break;
            default:
                kind = "many"; // @switch-default
                break;
        }
        return kind + kind.Length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Using(int n)
    {
        using (var stream = new MemoryStream())
        {
            stream.WriteByte((byte)n); // @using-line
            stream.WriteByte((byte)(n + 1));
            return (int)stream.Length + n;
        }
    }
}

internal static class Hot
{
    // Small and called in a loop: the JIT inlines it into Loop (no NoInlining here on purpose).
    public static int Add(int a, int b)
    {
        return a + b; // @hot-add
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long Loop(int n)
    {
        long total = 0;
        for (int i = 0; i < n; i++)
        {
            total += Add(i, 1);
        }
        return total;
    }
}

internal static class Threads
{
    public static int Run(int threads, int perThread)
    {
        int done = 0;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < perThread; i++)
            {
                Worker.Step(t, i);
            }
            Interlocked.Increment(ref done);
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return done;
    }
}

internal static class Worker
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Step(int thread, int iteration)
    {
        int product = thread * 1000 + iteration; // @worker-step
        return product + product;
    }
}

internal static class Refs
{
    public static string Call(int n)
    {
        int counter = n;
        int result = Adjust(ref counter, out var text);
        return $"{result}:{text}";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Adjust(ref int counter, out string text)
    {
        Span<int> buffer = stackalloc int[2];
        buffer[0] = counter; // @refs-span
        counter += buffer[0] + buffer.Length;
        text = "c" + counter;
        return counter;
    }
}

internal readonly struct Point(int x, int y)
{
    public int X { get; } = x;

    public int Y { get; } = y;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int LengthSquared()
    {
        int squared = X * X + Y * Y; // @struct-line
        return squared;
    }
}

// Used by the benchmarks (bench/Deep.EndToEnd, bench/Deep.MethodHooks): the same body twice, one of them probed.
// `y` may be assigned again on the next line, so Release builds keep it in a local: the first line then ends with an
// empty evaluation stack and line_capture can wrap it (a value left on the stack into the next line cannot be).
internal static class Bench
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Probed(int x)
    {
        int y = x * 3; // @bench-probed
        if (y < 0) y = -y;
        return y + 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Plain(int x)
    {
        int y = x * 3;
        if (y < 0) y = -y;
        return y + 1;
    }

    // The same body again, but inlinable: what a caller of a tiny method loses when it cannot be inlined (a probed
    // method never is: the profiler asks for COR_PRF_REJIT_BLOCK_INLINING).
    public static int Inlinable(int x)
    {
        int y = x * 3;
        if (y < 0) y = -y;
        return y + 1;
    }

    /// <summary>
    /// "probed_ns plain_ns probed_bytes sink inlinable_ns": ns per call of each over <paramref name="calls"/> calls
    /// (best of 5 rounds).
    /// </summary>
    public static string Measure(int calls)
    {
        double probed = double.MaxValue, plain = double.MaxValue, inlinable = double.MaxValue;
        long bytes = 0;
        int sink = 0;
        for (int round = 0; round < 5; round++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                sink += Probed(i);
            }
            long middle = System.Diagnostics.Stopwatch.GetTimestamp();
            bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            for (int i = 0; i < calls; i++)
            {
                sink += Plain(i);
            }
            long end = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                sink += Inlinable(i);
            }
            long inlined = System.Diagnostics.Stopwatch.GetTimestamp();
            probed = Math.Min(probed, (middle - start) * 1e9 / System.Diagnostics.Stopwatch.Frequency / calls);
            plain = Math.Min(plain, (end - middle) * 1e9 / System.Diagnostics.Stopwatch.Frequency / calls);
            inlinable = Math.Min(inlinable, (inlined - end) * 1e9 / System.Diagnostics.Stopwatch.Frequency / calls);
        }
        return string.Create(CultureInfo.InvariantCulture, $"{probed:0.00} {plain:0.00} {bytes} {sink & 1} {inlinable:0.00}");
    }
}
