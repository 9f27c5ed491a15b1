using System.Runtime.CompilerServices;

namespace Deep.Agent.Tests.Symbols;

// An async method and nested closures inside a generic method, and an async method of a generic type: their state
// machines and closures are generic types, of which a probe's layout knows only the open type. Lines are found by
// their `// @name` markers.
internal static class GenericShapesSample
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task<int> SumAsync<T>(T item, int count, Task gate)
    {
        int total = count * 2;
        await gate;
        total += 1; // @generic-shapes-async
        return total + (item is null ? 0 : 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Func<int, int> Capture<T>(T item, int bias)
    {
        int scale = bias * 2;
        Func<int, int>? result = null;
        for (int k = 0; k < 1; k++)
        {
            // A closure per iteration, linked to the method's closure (item, bias, scale).
            int offset = bias + 1;
            result = value =>
            {
                int sum = value * scale + offset + bias + (item is null ? 0 : 1);
                return sum; // @generic-shapes-lambda
            };
        }
        return result!;
    }
}

internal sealed class GenericShapesBox<TItem>(string name, int limit)
{
    private readonly int _limit = limit;

    public string Name { get; } = name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public async Task<int> PutAsync(TItem item, Task gate)
    {
        int seen = _limit;
        await gate;
        seen += Name.Length; // @generic-shapes-box
        return seen + (item is null ? 0 : 1);
    }
}
