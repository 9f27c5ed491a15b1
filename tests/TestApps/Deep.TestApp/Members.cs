using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Constructors, static constructors, properties, operators, indexers and expression-bodied members (issue 6),
// driven by the "members" and "tariff" scenarios. The integration tests find lines by their `// @marker` comments.
internal class Ledger
{
    protected Ledger(string owner) => Owner = owner;

    public string Owner { get; }
}

internal sealed class Account : Ledger
{
    private int _limit;
    private string _note = "new";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public Account(string owner, int limit)
        : base(owner)
    {
        int scaled = limit * 10;
        _limit = scaled; // @ctor-line
        _note = owner + "/" + limit.ToString(CultureInfo.InvariantCulture);
    }

    public int Limit => _limit + 1; // @expression-bodied-line

    public string Note
    {
        get => _note;
        [MethodImpl(MethodImplOptions.NoInlining)]
        set
        {
            string trimmed = value.Trim();
            _note = trimmed + "!"; // @setter-line
        }
    }

    public int this[int index]
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        get
        {
            int scaled = index * _limit;
            if (scaled < 0)
            {
                scaled = -scaled; // assigned twice: Release builds keep it in a local slot
            }
            return scaled + index - index; // @indexer-line
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Account operator +(Account left, Account right)
    {
        int limit = left._limit + right._limit;
        return new Account(left.Owner + "+" + right.Owner, limit / 10 + limit - limit); // @operator-line
    }
}

// Only the "tariff" scenario touches it, so its static constructor runs the first time that scenario runs.
internal static class Tariff
{
    private static readonly int s_rate;

    static Tariff()
    {
        int baseRate = 7;
        if (Environment.ProcessorCount < 0)
        {
            baseRate = 0; // assigned twice: Release builds keep it in a local slot
        }
        s_rate = baseRate * 3; // @static-ctor-line
    }

    public static int Rate => s_rate;
}

internal static class Members
{
    public static string Run(int n)
    {
        var a = new Account("a" + n.ToString(CultureInfo.InvariantCulture), n);
        var b = new Account("b", 2);
        a.Note = "  note" + n.ToString(CultureInfo.InvariantCulture) + "  ";
        var sum = a + b;
        return string.Join("|", a.Limit, a.Note, a[3], sum.Owner, sum.Limit);
    }
}
