using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// line_capture: a line's outcome (tests/Deep.Integration.Tests/Tracepoints/LineCaptureTests.cs). Driven as
// "line-capture <what> <n>". Lines are found by their `// @marker` comments.
internal static class LineCaptures
{
    public static string Run(string argument)
    {
        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        string what = parts.Length > 0 ? parts[0] : "";
        int n = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        return what switch
        {
            "complete" => Complete(n),
            "throws" => Throws(n),
            "caught" => Caught(n),
            "for" => ForHeader(n),
            "await" => AwaitLine(n).GetAwaiter().GetResult(),
            _ => throw new ArgumentException($"no line-capture scenario '{what}'"),
        };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Complete(int n)
    {
        int total = n * 3;
        total += Work(n); // @capture-complete
        return total.ToString(CultureInfo.InvariantCulture) + "|" + n.ToString(CultureInfo.InvariantCulture);
    }

    // Busy for about a millisecond: the line's duration is measurable and well bounded.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Work(int n)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromMilliseconds(1))
        {
            Thread.SpinWait(10);
        }
        return n + 1;
    }

    // What the application sees of an exception thrown under a captured line: it must be unchanged.
    private static string Throws(int n)
    {
        try
        {
            return Checked(n).ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException e)
        {
            var top = new StackTrace(e).GetFrame(0)?.GetMethod()?.Name;
            return $"{e.GetType().Name}|{e.Message}|top={top}|names-Checked={e.StackTrace?.Contains("LineCaptures.Checked(", StringComparison.Ordinal)}";
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Checked(int n)
    {
        int limit = n * 2;
        int value = Check(n, limit); // @capture-throws
        return value * 2 + limit - value;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Check(int n, int limit) => n % 2 == 1 ? throw new InvalidOperationException($"odd {n} over {limit}") : n;

    // The line throws inside a try of its own method: the catch still runs.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Caught(int n)
    {
        string outcome = "none";
        try
        {
            outcome = "tried " + Check(n, n).ToString(CultureInfo.InvariantCulture); // @capture-caught
        }
        catch (InvalidOperationException e)
        {
            outcome = "caught " + e.Message;
        }
        return outcome;
    }

    private static string ForHeader(int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++) // @capture-for
        {
            sum += i * n;
        }
        return sum.ToString(CultureInfo.InvariantCulture);
    }

    private static async Task<string> AwaitLine(int n)
    {
        int start = n + 1;
        int delayed = await Task.Run(() => start * 2); // @capture-await
        return (delayed + start).ToString(CultureInfo.InvariantCulture);
    }
}
