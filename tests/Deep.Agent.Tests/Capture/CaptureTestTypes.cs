using System.Collections;

namespace Deep.Agent.Tests.Capture;

public enum Level
{
    Low,
    High,
}

[Flags]
public enum Access
{
    None = 0,
    Read = 1,
    Write = 2,
}

public class Account
{
    private readonly int _number;
    protected string Region = "eu";
    internal int InternalCount = 2;
    protected internal int Mixed = 3;
    public string Owner { get; set; } = "";
    public string Password { get; set; } = "hunter2";
    public string ApiKey = "k-123";
    public Account? Partner;
    public Level Level { get; init; }

    public int GetterCalls;
    public string Computed
    {
        get
        {
            GetterCalls++;
            return "computed";
        }
    }

    public Account(int number) => _number = number;

    public override string ToString()
    {
        GetterCalls += 1000;
        return "ACCOUNT";
    }

    public override int GetHashCode()
    {
        GetterCalls += 10000;
        return 1;
    }

    public override bool Equals(object? obj)
    {
        GetterCalls += 100000;
        return true;
    }
}

public struct Coordinates
{
    public double Lat;
    public double Lon;
}

public sealed class Node
{
    public int Depth;
    public Node? Next;
}

public sealed class Counters
{
    public static int Shared;
    public int Own = 1;
}

/// <summary>A type with an explicit static constructor: not beforefieldinit, so it ran before any instance existed.</summary>
public sealed class Precise
{
    public static int Ready;
    public int Own = 1;

    static Precise() => Ready = 9;
}

/// <summary>Records whether <see cref="LazyStatics"/>' type initializer ran.</summary>
public static class LazyStaticsProbe
{
    public static int Ran;
}

/// <summary>beforefieldinit with a type initializer: an instance can exist before the initializer runs.</summary>
public sealed class LazyStatics
{
    public static readonly int Initialized = Init();
    public int Own = 1;

    private static int Init()
    {
        LazyStaticsProbe.Ran++;
        return 1;
    }
}

/// <summary>An application collection: enumerating it is application code.</summary>
public sealed class CountingCollection : IEnumerable<int>
{
    public int Enumerations;
    private readonly int[] _items = [1, 2, 3];

    public IEnumerator<int> GetEnumerator()
    {
        Enumerations++;
        return ((IEnumerable<int>)_items).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public class Outer
{
    public sealed class Inner
    {
    }
}

public class Generic<T>
{
    public sealed class Nested<U>
    {
    }

    public sealed class Plain
    {
    }
}
