using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Deep.Profiler.Tests.Rewriting;

/// <summary>Methods whose compiled bodies the rewriter tests take apart: loops, switch, every kind of handler.</summary>
[SuppressMessage("Performance", "CA1822", Justification = "instance methods on purpose")]
internal sealed class SampleMethods
{
    private int _field = 3;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Loop(int n)
    {
        int total = 0;
        for (int i = 0; i < n; i++)
        {
            if (i % 3 == 0)
                continue;
            total += i;
        }
        return total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public string Switch(int value) => value switch
    {
        0 => "zero",
        1 => "one",
        2 => "two",
        3 => "three",
        4 => "four",
        _ => value < 0 ? "negative" : "many",
    };

    [MethodImpl(MethodImplOptions.NoInlining)]
    public int TryCatchFinally(string text)
    {
        int result = _field;
        try
        {
            result += int.Parse(text);
        }
        catch (FormatException) when (text.Length > 2)
        {
            result = -1;
        }
        catch (OverflowException)
        {
            result = -2;
        }
        finally
        {
            _field++;
        }
        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static long Using(string path)
    {
        long size = 0;
        using (var stream = new MemoryStream())
        {
            foreach (char c in path)
            {
                stream.WriteByte((byte)c);
                size += stream.Length;
            }
        }
        return size;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Signature(ref int a, out string b, in DateTime c, List<int> d, int[] e, int[,] f, Span<byte> g, nint h, object i, KeyValuePair<string, int> j)
    {
        b = a.ToString() + c + d.Count + e.Length + f.Length + g.Length + h + i + j;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static unsafe T Generic<T, U>(T value, U[] other, int* pointer, delegate*<int, void> fn) where T : struct where U : unmanaged
    {
        T local = value;
        ref T alias = ref local;
        fixed (U* first = other)
        {
            *pointer = (int)(nint)first + (fn == null ? 0 : 1);
        }
        return alias;
    }
}
