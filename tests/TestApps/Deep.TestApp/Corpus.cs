using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Deep.TestApp;

// The sweep's corpus (tests/Deep.Integration.Tests/Tracepoints/SweepTests.cs): every line with code here gets a
// tracepoint of each line stage, and Run must answer exactly what it answers without them. Driven as "corpus <n>".
// Deterministic: no clock, no randomness, no thread timing in the result. Each shape on lines of its own.
internal static class Corpus
{
    public static string Run(int n)
    {
        var log = new StringBuilder();
        Part(log, "branches", () => Branches(n));
        Part(log, "nulls", () => Nulls(n));
        Part(log, "switches", () => Switches(n));
        Part(log, "patterns", () => Patterns(n));
        Part(log, "loops", () => Loops(n));
        Part(log, "jumps", () => Jumps(n));
        Part(log, "exceptions", () => Exceptions(n));
        Part(log, "filters", () => Filters(n));
        Part(log, "throwing", () => Throwing(n));
        Part(log, "resources", () => Resources(n));
        Part(log, "text", () => Text(n));
        Part(log, "linq", () => Linq(n));
        Part(log, "locals", () => Locals(n));
        Part(log, "spans", () => Spans(n));
        Part(log, "checked", () => CheckedMath(n));
        Part(log, "async", () => AsyncSum(n).GetAwaiter().GetResult());
        Part(log, "async-throws", () => AsyncThrows(n).GetAwaiter().GetResult());
        Part(log, "iterator", () => string.Join(",", Evens(n)));
        Part(log, "generic", () => Describe(n) + "/" + Describe("s" + n));
        Part(log, "tuples", () => Tuples(n));
        Part(log, "compound", () => Compound(n));
        Part(log, "multiline", () => MultiLine(n));
        Part(log, "early", () => Early(n) + "/" + Early(-n));
        Part(log, "uncaught", () => Uncaught(n));
        return log.ToString();
    }

    // Each part's result, or the exception that left it (type and message).
    private static void Part(StringBuilder log, string name, Func<string> part)
    {
        string result;
        try
        {
            result = part();
        }
        catch (Exception e)
        {
            result = "!" + e.GetType().Name + ":" + e.Message;
        }
        log.Append(name).Append('=').Append(result).Append(';');
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Branches(int n)
    {
        int score = 0;
        if (n > 2)
            score += 10;
        else
            score -= 10;
        if (n % 2 == 0)
        {
            score *= 2;
        }
        else if (n % 3 == 0)
        {
            score *= 3;
        }
        else
        {
            score += 1;
        }
        string size = n > 5 ? "big" : "small";
        bool both = n > 0 && score > 0 || n < -5;
        return score + size + both;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Nulls(int n)
    {
        string? maybe = n > 3 ? "value" + n : null;
        string none = maybe ?? "none";
        int? length = maybe?.Length;
        int total = length ?? -1;
        string? other = null;
        other ??= none;
        char? first = maybe?.ToUpperInvariant()?[0];
        return none + total + other + first;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Switches(int n)
    {
        string name;
        switch (n % 4)
        {
            case 0:
                name = "zero";
                break;
            case 1:
            case 2:
                name = "low";
                break;
            default:
                name = "high";
                break;
        }
        switch ("k" + n)
        {
            case "k1":
                name += "-one";
                break;
            case "k2":
                name += "-two";
                goto case "k3";
            case "k3":
                name += "-three";
                break;
        }
        string kind = n switch
        {
            < 0 => "negative",
            0 => "zero",
            >= 1 and <= 3 => "few",
            _ => "many",
        };
        return name + "/" + kind;
    }

    private sealed record Shape(string Name, int Sides);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Patterns(int n)
    {
        object boxed = n % 2 == 0 ? n : "text" + n;
        string seen = "";
        if (boxed is int number && number > 1)
        {
            seen += "int" + number;
        }
        if (boxed is string { Length: > 4 } text)
        {
            seen += "string" + text.Length;
        }
        var shape = new Shape("tri", n);
        if (shape is { Name: "tri", Sides: > 2 })
        {
            seen += "+shape";
        }
        seen += shape switch
        {
            { Sides: 3 } => "/triangle",
            { Sides: 4 } => "/square",
            _ => "/other",
        };
        return seen + (boxed is not null);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Loops(int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            if (i == 1)
                continue;
            sum += i;
        }
        foreach (var c in "abcdef")
        {
            if (c == 'e')
                break;
            sum += c - 'a';
        }
        int w = n;
        while (w > 0)
        {
            w -= 2;
            sum++;
        }
        int d = 0;
        do
        {
            d++;
            if (d > 10)
                break;
        }
        while (d < n);
        foreach (var item in new List<int> { 1, 2, 3 })
            sum += item * d;
        return sum.ToString(CultureInfo.InvariantCulture);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Jumps(int n)
    {
        int count = 0;
    again:
        count++;
        if (count < n)
            goto again;
        if (count > 100)
            goto done;
        count *= 2;
    done:
        return count.ToString(CultureInfo.InvariantCulture);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Exceptions(int n)
    {
        var trail = new StringBuilder();
        try
        {
            trail.Append("try;");
            if (n > 1)
                throw new InvalidOperationException("boom" + n);
            trail.Append("not-thrown;");
        }
        catch (InvalidOperationException e)
        {
            trail.Append("caught ").Append(e.Message).Append(';');
        }
        finally
        {
            trail.Append("finally;");
        }
        try
        {
            try
            {
                trail.Append(int.Parse("x" + n, CultureInfo.InvariantCulture));
            }
            finally
            {
                trail.Append("inner-finally;");
            }
        }
        catch (FormatException)
        {
            trail.Append("format;");
        }
        try { trail.Append(10 / (n - n)); } catch (DivideByZeroException) { trail.Append("div0;"); }
        return trail.ToString();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Filters(int n)
    {
        string outcome = "none";
        for (int code = 0; code < 3; code++)
        {
            try
            {
                throw new ArgumentException("code" + code, "p" + n);
            }
            catch (ArgumentException e) when (e.Message.StartsWith("code1", StringComparison.Ordinal))
            {
                outcome += "|one";
            }
            catch (ArgumentException e) when (Log(e, ref outcome))
            {
                outcome += "|never";
            }
            catch (Exception)
            {
                outcome += "|other" + code;
            }
        }
        return outcome;
    }

    private static bool Log(Exception e, ref string outcome)
    {
        outcome += "|filtered " + e.GetType().Name;
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Throwing(int n)
    {
        string? input = n > 100 ? "x" : null;
        try
        {
            string value = input ?? throw new ArgumentNullException(nameof(n), "no input");
            return value;
        }
        catch (ArgumentNullException e)
        {
            return e.ParamName + ":" + e.Message.Split('(')[0].Trim();
        }
    }

    private sealed class Resource(StringBuilder trail, string name) : IDisposable
    {
        public void Use() => trail.Append("use " + name + ";");

        public void Dispose() => trail.Append("dispose " + name + ";");
    }

    private static readonly object Gate = new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Resources(int n)
    {
        var trail = new StringBuilder();
        using (var first = new Resource(trail, "first"))
        {
            first.Use();
        }
        using var second = new Resource(trail, "second");
        second.Use();
        lock (Gate)
        {
            trail.Append("locked" + n + ";");
        }
        using (new Resource(trail, "third"))
            trail.Append("inside;");
        return trail.ToString();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Text(int n)
    {
        double ratio = n / 4.0;
        string interpolated = $"n={n}, ratio={ratio:0.00}, hex={n:X2}";
        string verbatim = $@"path\{n}";
        string raw = $"""{n}"{n}""";
        return string.Create(CultureInfo.InvariantCulture, $"{interpolated}|{verbatim}|{raw}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Linq(int n)
    {
        int factor = n + 1;
        var numbers = Enumerable.Range(1, n + 3).ToList();
        var selected = numbers.Where(x => x % 2 == 1).Select(x => x * factor).ToList();
        var grouped = numbers
            .GroupBy(x => x % 3)
            .OrderBy(g => g.Key)
            .Select(g => g.Key + ":" + g.Sum());
        Func<int, int> twice = x =>
        {
            int doubled = x * 2;
            return doubled + factor;
        };
        return string.Join(",", selected) + "|" + string.Join(",", grouped) + "|" + twice(n);
    }

    private struct Counter
    {
        public int Value;
        public int Steps;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Locals(int n)
    {
        var counter = new Counter { Value = n };
        ref Counter alias = ref counter;
        alias.Value += 5;
        alias.Steps++;
        ref int value = ref counter.Value;
        value *= 2;
        int local = Square(n) + Square(value);
        return counter.Value + "/" + counter.Steps + "/" + local;

        int Square(int x)
        {
            int squared = x * x;
            return squared;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Spans(int n)
    {
        Span<int> buffer = stackalloc int[8];
        for (int i = 0; i < buffer.Length; i++)
            buffer[i] = i * n;
        ReadOnlySpan<char> chars = "hello world".AsSpan(0, 5);
        int total = 0;
        foreach (int item in buffer[2..5])
            total += item;
        return total + chars.ToString();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string CheckedMath(int n)
    {
        int big = int.MaxValue - n;
        int wrapped = unchecked(big + 10);
        try
        {
            int overflow = checked(big + 10);
            return "no overflow " + overflow;
        }
        catch (OverflowException e)
        {
            return wrapped + " " + e.GetType().Name;
        }
    }

    private static async Task<string> AsyncSum(int n)
    {
        int total = 0;
        for (int i = 0; i < n; i++)
        {
            total += await Next(i);
        }
        await Task.Yield();
        string text = "sum" + total;
        total += await Next(100).ConfigureAwait(false);
        return text + "/" + total;
    }

    private static async Task<int> Next(int i)
    {
        if (i % 2 == 0)
            await Task.Yield();
        return i * 3;
    }

    private static async Task<string> AsyncThrows(int n)
    {
        try
        {
            await Next(n);
            await Fail(n);
            return "unreachable";
        }
        catch (InvalidOperationException e)
        {
            return "async caught " + e.Message;
        }
        finally
        {
            await Task.Yield();
        }
    }

    private static async Task Fail(int n)
    {
        await Task.Yield();
        throw new InvalidOperationException("fail" + n);
    }

    private static IEnumerable<int> Evens(int n)
    {
        for (int i = 0; i <= n * 2; i++)
        {
            if (i % 2 != 0)
                continue;
            yield return i;
        }
        yield return -1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Describe<T>(T value)
    {
        string kind = typeof(T).Name;
        string text = value?.ToString() ?? "null";
        return kind + ":" + text;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Tuples(int n)
    {
        var pair = (Left: n, Right: "r" + n);
        (int a, string b) = pair;
        var (x, y) = (a * 2, b + "!");
        (x, a) = (a, x);
        bool parsed = int.TryParse("4" + n, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number);
        return $"{a},{b},{x},{y},{parsed},{number}";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Compound(int n)
    {
        int a = n, b = n * 2;
        a++; b--;
        a += b; b -= a; a *= 2;
        if (a > b) { a -= b; } else { b -= a; }
        return a + ":" + b;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string MultiLine(int n)
    {
        int value = n * 10
            + n * 5
            - Math.Max(n,
                3);
        string text = string.Join("-",
            value,
            n);
        return text;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Early(int n)
    {
        if (n < 0)
            return "negative";
        int doubled = n * 2;
        if (doubled > 4)
        {
            return "big" + doubled;
        }
        doubled++;
        return "small" + doubled;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Uncaught(int n)
    {
        var items = new int[n];
        int index = n + 1;
        return items[index].ToString(CultureInfo.InvariantCulture);
    }
}
