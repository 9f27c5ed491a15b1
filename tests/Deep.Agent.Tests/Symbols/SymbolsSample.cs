using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Deep.Agent.Tests.Symbols;

// Code the symbol tests resolve lines in. The tests find lines by the `// @name` markers, so edits here are safe.
// Locals are used more than once so that Release builds keep them in slots.
// Outside any method: @outside
#pragma warning disable CA1822, CA1062
internal sealed class SymbolsSample
{
    private readonly int _factor = 3;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public (int Total, StackFrame Frame) Sum(int count, string label)
    {
        int total = 0;
        StackFrame frame = null!;
        for (int i = 0; i < count; i++) // @for-header
        {
            total += i * _factor; // @loop-body
            frame = new StackFrame(0); // @frame-line
            // a comment line inside the loop: @comment-in-loop

            total += label.Length; // @after-comment
        }
        if (total > 1000)
        {
            string message = "big " + total; // @inner-scope
            Console.WriteLine(message + message);
        }
        return (total, frame); // @sum-return
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Twice(int value) => value * 2; // @expression-bodied

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int WithSpan(int length, ref int counter, out string result)
    {
        Span<int> span = stackalloc int[length];
        span[0] = counter; // @span-line
        counter += span[0] + span.Length;
        result = counter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return counter;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int[] WithLambda(int[] items, int threshold)
    {
        Func<int, bool> keep = item => item > threshold; // @lambda-line
        var kept = items.Where(keep).ToArray();
        return kept.Length > 0 ? kept : items;
    }
}
