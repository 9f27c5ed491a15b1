using System.Runtime.CompilerServices;

namespace ProbeTarget;

// The methods the end-to-end test probes. NoInlining unless the test is about inlining.
internal sealed class Greeter(string prefix)
{
    private readonly string _prefix = prefix;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public string Greet(string name)
    {
        var text = _prefix + name;
        return text;
    }

    public override string ToString() => $"Greeter({_prefix})";
}

internal struct Point(int x, int y)
{
    public int X = x;
    public int Y = y;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public readonly int Sum() => X + Y;

    public override readonly string ToString() => $"({X},{Y})";
}

internal static class Targets
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Add(int a, int b) => a + b;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Bump(ref int x, out string said)
    {
        x++;
        said = "bumped";
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Echo<T>(T value) => value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Twin<T>(T value) => "twin " + value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Loop(int n)
    {
        int total = 0;
        for (int i = 0; i < n; i++)
            total += i;
        return total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Guarded(string text)
    {
        string state = "start";
        try
        {
            state = "parsing";
            _ = int.Parse(text);
            state = "parsed";
        }
        catch (FormatException)
        {
            state = "failed";
        }
        finally
        {
            state += "+finally";
        }
        return state;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Pick(int value)
    {
        switch (value)
        {
            case 0: return "zero";
            case 1: return "one";
            case 2: return "two";
            case 3: return "three";
            default: return "other";
        }
    }

    // Small enough that the JIT inlines it into an optimised caller.
    public static int Twice(int x) => x * 2;

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static int SumTwice(int n)
    {
        int total = 0;
        for (int i = 0; i < n; i++)
            total += Twice(i);
        return total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Shared(int x) => x + 1;

    // Small enough to be inlined, called from a compiled expression (a DynamicMethod, which ReJIT cannot reach): the
    // profiler must keep it a method of its own, as ASP.NET Core MVC's controller actions.
    public static int Thrice(int x) => x * 3;

    // `first` is a ref local that is still null where a probe at the method's start runs.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int FirstOrMinusOne(int[] values)
    {
        ref int first = ref values.Length > 0 ? ref values[0] : ref Unsafe.NullRef<int>();
        return Unsafe.IsNullRef(ref first) ? -1 : first;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int SpanLength(int n)
    {
        Span<byte> buffer = stackalloc byte[n];
        buffer.Fill(1);
        return buffer.Length;
    }

    public static int Captured;

    // line_capture: the middle line is wrapped (a static field keeps the stack empty around it in Debug and Release).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int CaptureLine(int x)
    {
        Captured = x + 1;
        Captured = Thrower(Captured);
        return Captured * 2;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Thrower(int v) => v > 5 ? throw new InvalidOperationException("big " + v) : v;
}
