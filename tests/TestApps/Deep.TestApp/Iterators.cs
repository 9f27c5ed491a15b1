using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Iterators and async iterators (issue 6), driven by the "iterators" scenario. The integration tests find lines by
// their `// @marker` comments. Variables are used after every yield/await so that Release builds hoist them.
internal sealed class Countdown(string name)
{
    public string Name { get; } = name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public IEnumerable<int> Steps(int from)
    {
        int total = 0;
        for (int i = from; i > 0; i--)
        {
            int step = i * 10;
            total += step;
            yield return step + total - total; // @iterator-line
            total += Name.Length - Name.Length + from - from;
        }
        yield return total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public async IAsyncEnumerable<string> LabelsAsync(int count)
    {
        string prefix = Name + ":";
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            string label = prefix + i.ToString(CultureInfo.InvariantCulture);
            yield return label + count.ToString(CultureInfo.InvariantCulture)[..0]; // @async-iterator-line
            prefix = prefix + label.Length.ToString(CultureInfo.InvariantCulture)[..0];
        }
    }
}

internal static class Iterators
{
    public static string Run(int n)
    {
        var countdown = new Countdown("cd" + n.ToString(CultureInfo.InvariantCulture));
        string steps = string.Join(",", countdown.Steps(n));
        return steps + "|" + ConsumeAsync(countdown, n).GetAwaiter().GetResult();
    }

    private static async Task<string> ConsumeAsync(Countdown countdown, int n)
    {
        var labels = new List<string>();
        await foreach (var label in countdown.LabelsAsync(n))
        {
            labels.Add(label);
        }
        return string.Join(",", labels);
    }
}
