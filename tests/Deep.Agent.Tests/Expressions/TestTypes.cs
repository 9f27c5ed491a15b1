namespace Deep.Agent.Tests.Expressions;

public enum OrderStatus
{
    Pending,
    Paid,
    Shipped,
}

public class Customer
{
    public string Name { get; set; } = "";
    internal int _visits;
    public Customer? Referrer;
}

public class Order
{
    private readonly int _id;
    public decimal Total { get; set; }
    public OrderStatus Status { get; set; }
    public Customer? Customer { get; set; }
    public List<string> Tags { get; } = new();
    public Dictionary<string, int> Quantities { get; } = new();
    public int[] Scores = [];
    public int? Discount;

    public Order(int id) => _id = id;

    /// <summary>A computed property: its getter is code and has a visible side effect.</summary>
    public int GetterCalls;
    public string Description
    {
        get
        {
            GetterCalls++;
            return "order " + _id;
        }
    }

    public void Save() => GetterCalls += 100;

    public override string ToString()
    {
        GetterCalls += 1000;
        return "ORDER";
    }
}

public sealed class SpecialOrder : Order
{
    public SpecialOrder(int id) : base(id) { }
    public string Reason { get; set; } = "";
}

public class Base
{
    protected string _secretSauce = "base";
}

/// <summary>Counts every call of the methods a careless evaluator would run.</summary>
public sealed class Tracked : IEquatable<Tracked>
{
    public static int Calls;
    public int Value;

    public bool Equals(Tracked? other)
    {
        Calls++;
        return other != null && other.Value == Value;
    }

    public override bool Equals(object? obj) => Equals(obj as Tracked);

    public override int GetHashCode()
    {
        Calls++;
        return Value;
    }

    public static bool operator ==(Tracked? a, Tracked? b)
    {
        Calls++;
        return ReferenceEquals(a, b) || (a is not null && a.Equals(b));
    }

    public static bool operator !=(Tracked? a, Tracked? b) => !(a == b);
}

public sealed class CountingComparer : IEqualityComparer<string>
{
    public int Calls;

    public bool Equals(string? x, string? y)
    {
        Calls++;
        return string.Equals(x, y, StringComparison.OrdinalIgnoreCase);
    }

    public int GetHashCode(string obj)
    {
        Calls++;
        return StringComparer.OrdinalIgnoreCase.GetHashCode(obj);
    }
}

public struct Point
{
    public int X;
    public int Y;

    public static bool operator ==(Point a, Point b) => a.X == b.X && a.Y == b.Y;
    public static bool operator !=(Point a, Point b) => !(a == b);
    public override bool Equals(object? obj) => obj is Point p && p == this;
    public override int GetHashCode() => X ^ Y;
}

public interface IShape
{
    double Area { get; }
}

public sealed class Square : IShape
{
    public double Side { get; init; }
    public double Area => Side * Side;
}

public static class StaticHolder
{
    public const int Limit = 42;
    public static int Counter;
}

/// <summary>Records whether <see cref="WithStaticConstructor"/>'s static constructor ran (reading that type would run it).</summary>
public static class StaticConstructorProbe
{
    public static int Ran;
}

public static class WithStaticConstructor
{
    public static int Ran;
    public static readonly int Value = Init();

    private static int Init()
    {
        StaticConstructorProbe.Ran++;
        return 5;
    }
}

/// <summary>Records whether <see cref="LazyInitialized"/>'s type initializer ran.</summary>
public static class LazyInitializedProbe
{
    public static int Ran;
}

/// <summary>beforefieldinit with a type initializer: an instance may exist before the initializer runs.</summary>
public sealed class LazyInitialized
{
    public static readonly int Initialized = Init();
    public int Own = 3;

    private static int Init()
    {
        LazyInitializedProbe.Ran++;
        return 1;
    }
}
