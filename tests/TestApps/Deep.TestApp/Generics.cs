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
            + "|" + amounts.Put(new Money(n, "USD")).ToString(CultureInfo.InvariantCulture);
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
