using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Awaited outcomes of async methods (tests/Deep.Integration.Tests/Tracepoints/MethodTracepointTests.cs). Driven as
// "async-outcome <what> <n>": "price" awaits then returns, "refund" awaits then throws for an odd n.
internal static class AsyncOutcomes
{
    public static string Run(string argument)
    {
        var parts = argument.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        string what = parts.Length > 0 ? parts[0] : "";
        int n = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        var service = new AsyncOutcomeService("svc-" + n);
        try
        {
            return what switch
            {
                "price" => service.PriceAsync(n).GetAwaiter().GetResult().ToString(CultureInfo.InvariantCulture),
                "refund" => service.RefundAsync(n).GetAwaiter().GetResult().ToString(CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"no async-outcome scenario '{what}'"),
            };
        }
        catch (InvalidOperationException e)
        {
            return $"{e.GetType().Name}|{e.Message}";
        }
    }
}

internal sealed class AsyncOutcomeService(string name)
{
    public string Name { get; } = name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public async Task<int> PriceAsync(int n)
    {
        await Task.Delay(60).ConfigureAwait(false);
        int price = n * 100 + Name.Length; // @async-outcome-price
        return price;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public async Task<int> RefundAsync(int n)
    {
        await Task.Delay(20).ConfigureAwait(false);
        if (n % 2 == 1) throw new InvalidOperationException($"refund {n} refused"); // @async-outcome-refund
        return n;
    }
}
