namespace Deep.Agent.Tests.Symbols;

// Resolved by MethodResolverTests: overloads, a constructor, an abstract method, a generic type and an extern.
internal abstract class MethodSampleBase
{
    public abstract int Compute(int x);
}

internal sealed class MethodSample : MethodSampleBase
{
    private readonly int _seed;

    public MethodSample(int seed) => _seed = seed;

    public override int Compute(int x) => x + _seed;

    public int Pick(int value) => value;

    public string Pick(string value) => value;

    public int Lambda(int n)
    {
        Func<int, int> add = v => v + n;
        return add(_seed);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getpid")]
    public static extern int GetPid();
}

internal sealed class MethodBox<T>
{
    public T? Value { get; set; }

    public T? Pick(T? value) => Value = value;
}
