using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Code shapes the compiler rewrites (issue 6): async state machines, lambdas and local functions. The integration
// tests find lines by their `// @marker` comments. Values are used after every await so Release builds hoist them.
internal sealed class AsyncOrders(string name)
{
    public string Name { get; } = name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public async Task<int> SumAsync(int count)
    {
        int total = count * 10;
        string label = Name + "#" + count;
        await Task.Delay(1).ConfigureAwait(false);
        int resumedOn = Environment.CurrentManagedThreadId;
        total += label.Length + count; // @async-after-await
        await Task.Yield();
        {
            int inner = total * 2;
            total += inner + resumedOn - resumedOn; // @async-inner
        }
        return total + label.Length + count;
    }
}

internal static class Closures
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Run(int n)
    {
        int factor = n * 3;
        string prefix = "p" + n;
        Func<int, string> format = value =>
        {
            int scaled = value * factor;
            return prefix + scaled.ToString(CultureInfo.InvariantCulture); // @lambda-line
        };
        [MethodImpl(MethodImplOptions.NoInlining)]
        int Local(int step)
        {
            int doubled = step * 2;
            return doubled + factor + doubled - doubled; // @local-function-line
        }
        string formatted = format(n + 1);
        return formatted + "|" + Local(n + 2).ToString(CultureInfo.InvariantCulture) + formatted.Length; // @closure-owner-line
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int StructClosure(int n)
    {
        int offset = n + 100;
        [MethodImpl(MethodImplOptions.NoInlining)]
        int Add(int step)
        {
            int sum = step + offset;
            return sum * 2 - sum; // @struct-local-line
        }
        return Add(n) + offset;
    }
}
