using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Method tracepoints and spans (tests/Deep.Integration.Tests/Tracepoints/MethodTracepointTests.cs and
// SpanTracepointTests.cs). Driven as "methods <what> <n>". Lines are found by their `// @marker` comments.
internal static class MethodScenarios
{
    public static string Run(string argument)
    {
        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        string what = parts.Length > 0 ? parts[0] : "";
        int n = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        // Created only by the scenarios that use it: a constructor tracepoint must see only "ctor" calls.
        Pricing? created = null;
        Pricing pricing() => created ??= new Pricing("shop-" + n);
        return what switch
        {
            "add" => pricing().Add(n, n * 10).ToString(CultureInfo.InvariantCulture),
            "square" => Pricing.Square(n).ToString(CultureInfo.InvariantCulture),
            "greet" => pricing().Greet("ann" + n),
            "describe" => pricing().Describe(n) + "|" + pricing().Describe("s" + n),
            "touch" => Touch(pricing(), n),
            "slow" => Pricing.Slow(n).ToString(CultureInfo.InvariantCulture),
            "guarded" => Pricing.Guarded(n).ToString(CultureInfo.InvariantCulture) + "|" + Pricing.Guarded(-n).ToString(CultureInfo.InvariantCulture),
            "fail" => Fail(n),
            "stack" => Pricing.StackSum(n).ToString(CultureInfo.InvariantCulture),
            "relay" => Relay(n),
            "ctor" => new Pricing("ctor-" + n).Add(0, 0).ToString(CultureInfo.InvariantCulture),
            "money" => new Wallet(100).Plus(n).ToString(CultureInfo.InvariantCulture),
            "window" => new Buffers().Window(n).Length.ToString(CultureInfo.InvariantCulture),
            "at" => new Buffers().At(n).ToString(CultureInfo.InvariantCulture),
            "holder" => new Holder<int>(n).Swap(n + 1).ToString(CultureInfo.InvariantCulture) + "|" + new Holder<string>("h" + n).Swap("k" + n),
            "echo" => Pricing.Echo(n).ToString(CultureInfo.InvariantCulture) + "|" + Pricing.Echo("e" + n) + "|" + Pricing.Echo(new Wallet(n)).Cents.ToString(CultureInfo.InvariantCulture),
            "span-method" => Spans.Observe(() => Spans.Traced(n).ToString(CultureInfo.InvariantCulture)),
            "span-method-throws" => Spans.Observe(() => Spans.TracedThrows(n)),
            "span-line" => Spans.Observe(() => Spans.LineTraced(n)),
            "span-line-throws" => Spans.Observe(() => Spans.LineThrows(n)),
            _ => throw new ArgumentException($"no method scenario '{what}'"),
        };
    }

    // An exception from a callee passing through the probed method, caught by a `when` filter further out.
    private static string Relay(int n)
    {
        try
        {
            return Pricing.Relay(n).ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("code", StringComparison.Ordinal))
        {
            return $"{e.GetType().Name}|{e.Message}|top={new StackTrace(e).GetFrame(0)?.GetMethod()?.Name}";
        }
    }

    private static string Touch(Pricing pricing, int n)
    {
        pricing.Touch(n);
        return pricing.Touched.ToString(CultureInfo.InvariantCulture);
    }

    // What the application itself sees of the exception: it must be unchanged by the exit hook.
    private static string Fail(int n)
    {
        try
        {
            return Pricing.Fail(n).ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException e)
        {
            var top = new StackTrace(e).GetFrame(0)?.GetMethod()?.Name;
            return $"{e.GetType().Name}|{e.Message}|top={top}|names-Fail={e.StackTrace?.Contains("Pricing.Fail(", StringComparison.Ordinal)}";
        }
    }
}

internal sealed class Pricing(string shop)
{
    private readonly string _shop = shop;

    public int Touched { get; private set; }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Add(int a, int b) => a + b + _shop.Length;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Square(int x) => x * x;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public string Greet(string name) => "hello " + name + " from " + _shop;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public string Describe(int value) => "int:" + value.ToString(CultureInfo.InvariantCulture);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public string Describe(string value) => "string:" + value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Touch(int times)
    {
        for (int i = 0; i < times; i++)
        {
            Touched++;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Slow(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return milliseconds;
    }

    // Its own try/catch/finally: the exit hooks must be the outermost clauses.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Guarded(int n)
    {
        int result = 0;
        try
        {
            if (n < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(n), "negative");
            }
            result = n * 2;
            return result;
        }
        catch (ArgumentOutOfRangeException)
        {
            result = -1;
            return result;
        }
        finally
        {
            result += 1000;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Echo<T>(T value) => value;

    // localloc inside the exit hooks' protected region.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int StackSum(int n)
    {
        Span<int> buffer = stackalloc int[8];
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = i * n;
        }
        int sum = 0;
        foreach (var value in buffer)
        {
            sum += value;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Relay(int code) => Fail(code) + 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Fail(int code)
    {
        if (code > 0)
        {
            throw new InvalidOperationException("code " + code.ToString(CultureInfo.InvariantCulture));
        }
        return code;
    }
}

internal sealed class Holder<T>(T initial)
{
    private T _value = initial;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public T Swap(T next)
    {
        var old = _value;
        _value = next;
        return old;
    }
}

internal struct Wallet(int cents)
{
    public int Cents = cents;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Plus(int more)
    {
        Cents += more;
        return Cents;
    }
}

internal sealed class Buffers
{
    private readonly int[] _data = [10, 20, 30, 40, 50];

    // A byref-like return value cannot be captured; the probe still fires.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public Span<int> Window(int start) => _data.AsSpan(start);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public ref int At(int index) => ref _data[index];
}

internal static class Spans
{
    private static readonly ActivitySource s_app = new("app");
    private static readonly List<Activity> s_stopped = [];
    private static readonly ActivityListener s_listener = CreateListener();

    private static ActivityListener CreateListener()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "deep" or "app",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "deep")
                {
                    lock (s_stopped)
                    {
                        s_stopped.Add(activity);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>
    /// Runs <paramref name="call"/> under an application activity "app-op" and reports what an ActivityListener saw:
    /// the result (or exception), the deep spans stopped during the call with their parent and tracepoint tag, and
    /// the current activity afterwards (it must be "app-op" again).
    /// </summary>
    public static string Observe(Func<string> call)
    {
        _ = s_listener;
        lock (s_stopped)
        {
            s_stopped.Clear();
        }
        using var parent = s_app.StartActivity("app-op")!;
        string result;
        try
        {
            result = call();
        }
        catch (Exception e)
        {
            result = "threw " + e.GetType().Name;
        }
        string after = Activity.Current?.DisplayName ?? "none";
        List<Activity> stopped;
        lock (s_stopped)
        {
            stopped = [.. s_stopped];
        }
        var spans = string.Join(",", stopped.Select(a =>
            $"{a.DisplayName}[parent={(a.ParentSpanId == parent.SpanId ? "app-op" : a.ParentSpanId.ToHexString())}" +
            $",trace={(a.TraceId == parent.TraceId ? "same" : "other")},tp={a.GetTagItem("tracepoint")},ended={a.Duration > TimeSpan.Zero || a.IsStopped}]"));
        return $"result={result};spans={spans};after={after}";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Traced(int n)
    {
        // The span of span=method is current inside the method.
        int seen = Activity.Current?.Source.Name == "deep" ? 1 : 0;
        return n * 100 + seen;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string TracedThrows(int n)
    {
        if (n > 0)
        {
            throw new InvalidOperationException("traced " + n.ToString(CultureInfo.InvariantCulture));
        }
        return "no";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string LineTraced(int n)
    {
        int a = n * 2;
        string seen = Activity.Current?.DisplayName ?? "none"; // @span-line
        string later = Activity.Current?.DisplayName ?? "none";
        return $"{a}:{seen}/{later}";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string LineThrows(int n)
    {
        string before = Activity.Current?.DisplayName ?? "none";
        Thrower(n); // @span-line-throws
        return before;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Thrower(int n)
    {
        if (n > 0)
        {
            throw new InvalidOperationException("line " + n.ToString(CultureInfo.InvariantCulture));
        }
    }
}
