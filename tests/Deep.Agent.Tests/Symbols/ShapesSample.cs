using System.Runtime.CompilerServices;

namespace Deep.Agent.Tests.Symbols;

// Async methods and closures the frame-layout tests resolve lines in (found by their `// @name` markers).
#pragma warning disable CA1822
internal sealed class ShapesSample
{
    public int Offset { get; set; } = 5;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public async Task<int> CountAsync(int count)
    {
        int first = count + Offset;
        await Task.Yield();
        int second = first * 2; // @shapes-after-await
        await Task.Yield();
        {
            int third = second + first;
            second += third; // @shapes-inner-block
        }
        return second + first + count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Func<int, int> Capture(int bias)
    {
        int scale = bias * 2;
        return value =>
        {
            int result = value * scale + bias;
            return result; // @shapes-lambda
        };
    }
}
