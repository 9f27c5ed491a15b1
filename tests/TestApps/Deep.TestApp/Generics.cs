using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Generic methods and generic types (issue 6), driven by the "generics" and "generics-late" scenarios. The
// integration tests find lines by their `// @marker` comments.
internal readonly struct Money(int cents, string currency)
{
    public int Cents { get; } = cents;

    public string Currency { get; } = currency;

    public override string ToString() => Cents.ToString(CultureInfo.InvariantCulture) + " " + Currency;
}

// Only the "generics-late" scenario uses it: its instantiation is first compiled after a tracepoint was installed.
internal readonly struct Parcel(long grams)
{
    public long Grams { get; } = grams;

    public override string ToString() => Grams.ToString(CultureInfo.InvariantCulture) + "g";
}

internal static class Generics
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Describe<T>(T item, int n)
    {
        string text = item?.ToString() ?? "null";
        if (text.Length == 0)
        {
            text = "empty"; // assigned twice: Release builds keep it in a local slot
        }
        int length = text.Length + n; // @generic-method-line
        return text + ":" + length.ToString(CultureInfo.InvariantCulture);
    }

    public static string Run(int n)
    {
        var names = new Box<string>();
        var amounts = new Box<Money>();
        return Describe(n, n) + "|" + Describe("s" + n, n) + "|" + Describe(new Money(n * 100, "EUR"), n)
            + "|" + names.Put("name" + n).ToString(CultureInfo.InvariantCulture)
            + "|" + amounts.Put(new Money(n, "USD")).ToString(CultureInfo.InvariantCulture) + "|" + GenericShapes.Run(n);
    }

    public static string RunLate(int n) =>
        Describe(new Parcel(n * 1000L), n) + "|" + new Box<Parcel>().Put(new Parcel(n)).ToString(CultureInfo.InvariantCulture);
}

internal sealed class Box<T>
{
    private readonly List<T> _items = [];

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Put(T item)
    {
        _items.Add(item);
        int count = _items.Count;
        return count * 2 - count; // @box-put-line
    }
}

// Generic state machines and closures, run by the "generics" scenario after the calls above (appended here so that
// the lines above keep their numbers): an async method and a lambda inside generic methods, and an async method of a
// generic type. Conditions name their hoisted and captured variables.
internal static class GenericShapes
{
    public static string Run(int n) =>
        TallyAsync("t" + n, n).GetAwaiter().GetResult().ToString(CultureInfo.InvariantCulture)
        + "|" + TallyAsync(n * 10, n).GetAwaiter().GetResult().ToString(CultureInfo.InvariantCulture)
        + "|" + Label("s" + n, n) + "|" + Label(new Money(n, "GBP"), n)
        + "|" + new Shelf<string>("shelf" + n).AddAsync("x" + n).GetAwaiter().GetResult().ToString(CultureInfo.InvariantCulture)
        + "|" + new Shelf<Money>("crate" + n).AddAsync(new Money(n, "CHF")).GetAwaiter().GetResult().ToString(CultureInfo.InvariantCulture);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task<int> TallyAsync<T>(T item, int count)
    {
        int total = count * 2;
        string label = item?.ToString() ?? "null";
        await Task.Yield();
        total += label.Length; // @generic-async-line
        return total + label.Length;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Label<T>(T item, int n)
    {
        int width = n + 1;
        Func<int, string> format = extra =>
        {
            int size = width + extra;
            if (size < 0)
            {
                size = 0; // assigned twice: Release builds keep it in a local slot
            }
            return item + "/" + size.ToString(CultureInfo.InvariantCulture); // @generic-lambda-line
        };
        return format(1) + "," + format(2);
    }
}

internal sealed class Shelf<T>(string name)
{
    private readonly List<T> _items = [];

    public string Name { get; } = name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public async Task<int> AddAsync(T item)
    {
        _items.Add(item);
        int count = _items.Count;
        await Task.Yield();
        count += Name.Length; // @generic-type-async-line
        return count + _items.Count;
    }
}
