using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Deep.Agent.Capture;

namespace Deep.Agent.Expressions;

/// <summary>
/// The framework properties and methods expressions may call: known to be pure (no side effects, no user code).
/// Everything else an expression reads is a field.
/// </summary>
/// <remarks>
/// Collection members that compare items (<c>Contains</c>, <c>ContainsKey</c>, <c>IndexOf</c>) and dictionary
/// indexers are allowed only when the item or key type has framework equality (primitives, string, enums, framework
/// value types): for any other type they would call the application's <c>Equals</c>/<c>GetHashCode</c>. A dictionary
/// or set built with a comparer from the application is refused at run time for the same reason.
/// </remarks>
internal static class PureMembers
{
    /// <summary>The names of every allowed method, for a dynamic receiver (checked again against its runtime type).</summary>
    public static readonly HashSet<string> MethodNames = new(StringComparer.Ordinal)
    {
        "Contains", "StartsWith", "EndsWith", "IndexOf", "LastIndexOf", "ToUpper", "ToLower", "ToUpperInvariant",
        "ToLowerInvariant", "Trim", "TrimStart", "TrimEnd", "Substring", "Replace", "PadLeft", "PadRight", "Equals",
        "CompareTo", "ToString", "ContainsKey", "ContainsValue", "GetValueOrDefault", "IsNullOrEmpty",
        "IsNullOrWhiteSpace", "Compare", "Concat", "Add", "AddDays", "AddHours", "AddMinutes", "AddSeconds",
        "AddMilliseconds", "AddTicks", "AddMonths", "AddYears", "Subtract", "Split", "Remove", "Insert",
    };

    private static readonly HashSet<string> StringMethods = new(StringComparer.Ordinal)
    {
        "Contains", "StartsWith", "EndsWith", "IndexOf", "LastIndexOf", "ToUpper", "ToLower", "ToUpperInvariant",
        "ToLowerInvariant", "Trim", "TrimStart", "TrimEnd", "Substring", "Replace", "PadLeft", "PadRight", "Equals",
        "CompareTo", "ToString", "Split", "Remove", "Insert",
    };

    private static readonly HashSet<string> StringStatics = new(StringComparer.Ordinal)
    {
        "IsNullOrEmpty", "IsNullOrWhiteSpace", "Equals", "Compare", "Concat", "CompareOrdinal",
    };

    private static readonly HashSet<string> CharStatics = new(StringComparer.Ordinal)
    {
        "IsDigit", "IsLetter", "IsLetterOrDigit", "IsWhiteSpace", "IsUpper", "IsLower", "IsPunctuation", "IsNumber",
        "IsControl", "IsSymbol", "ToUpper", "ToLower", "ToUpperInvariant", "ToLowerInvariant",
    };

    private static readonly HashSet<string> TimeMethods = new(StringComparer.Ordinal)
    {
        "Add", "AddDays", "AddHours", "AddMinutes", "AddSeconds", "AddMilliseconds", "AddTicks", "AddMonths", "AddYears",
        "Subtract", "CompareTo", "Equals", "ToString",
    };

    /// <summary>Framework collections whose counting, comparing and indexing are the framework's own code.</summary>
    private static readonly HashSet<Type> Collections =
    [
        typeof(List<>), typeof(Dictionary<,>), typeof(HashSet<>), typeof(SortedSet<>), typeof(SortedDictionary<,>),
        typeof(SortedList<,>), typeof(Queue<>), typeof(Stack<>), typeof(LinkedList<>),
        typeof(System.Collections.Concurrent.ConcurrentDictionary<,>), typeof(System.Collections.Concurrent.ConcurrentQueue<>),
        typeof(System.Collections.Concurrent.ConcurrentStack<>), typeof(ImmutableList<>), typeof(ImmutableDictionary<,>),
        typeof(ImmutableHashSet<>), typeof(ImmutableArray<>), typeof(KeyValuePair<,>),
        typeof(System.Collections.ObjectModel.ReadOnlyCollection<>),
    ];

    private static readonly ConcurrentDictionary<(Type, string), PropertyInfo?> PropertyCache = new();

    /// <summary>The framework collection definition a type is, or is derived from (non-virtual members only), or null.</summary>
    public static Type? CollectionDefinition(Type type)
    {
        for (var t = type; t != null && t != typeof(object); t = t.BaseType)
        {
            if (t.IsGenericType && Collections.Contains(t.GetGenericTypeDefinition()))
            {
                return t;
            }
        }
        return null;
    }

    /// <summary>An allowed instance property of <paramref name="type"/> named <paramref name="name"/>, or null.</summary>
    public static PropertyInfo? Property(Type type, string name) =>
        PropertyCache.GetOrAdd((type, name), static key => FindProperty(key.Item1, key.Item2));

    private static PropertyInfo? FindProperty(Type type, string name)
    {
        PropertyInfo? Get(Type t) => t.GetProperty(name, BindingFlags.Instance | BindingFlags.Public, null, null, Type.EmptyTypes, null);

        if (type == typeof(string))
        {
            return name == "Length" ? Get(type) : null;
        }
        if (type.IsArray)
        {
            return name is "Length" or "LongLength" or "Rank" ? Get(typeof(Array)) : null;
        }
        if (Nullable.GetUnderlyingType(type) != null)
        {
            return name is "HasValue" or "Value" ? Get(type) : null;
        }
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(DateOnly)
            || type == typeof(TimeOnly))
        {
            return Get(type);
        }
        if (type == typeof(StringBuilder))
        {
            return name is "Length" or "Capacity" ? Get(type) : null;
        }
        if (type.IsGenericType && type.FullName?.StartsWith("System.Tuple`", StringComparison.Ordinal) == true)
        {
            return name.StartsWith("Item", StringComparison.Ordinal) || name == "Rest" ? Get(type) : null;
        }
        if (type == typeof(Uri))
        {
            return name is "Host" or "Port" or "Scheme" or "AbsolutePath" or "Query" or "AbsoluteUri" or "OriginalString" ? Get(type) : null;
        }
        var collection = CollectionDefinition(type);
        if (collection != null)
        {
            if (collection.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
            {
                return name is "Key" or "Value" ? Get(collection) : null;
            }
            if (name is "Keys" or "Values" && collection.GetGenericTypeDefinition() == typeof(ConcurrentDictionary<,>))
            {
                return null; // a copy of every entry, made under all of the dictionary's locks
            }
            if (name is "Count" or "IsEmpty" or "Length" or "Keys" or "Values" or "Min" or "Max" or "First" or "Last")
            {
                var p = Get(collection);
                return p != null && p.GetMethod is { IsVirtual: false } or { IsFinal: true } ? p : null;
            }
        }
        return null;
    }

    /// <summary>True when a method of this name may be called on a value of <paramref name="type"/> (before overload resolution).</summary>
    public static bool InstanceMethodAllowed(Type type, string name)
    {
        if (type == typeof(string))
        {
            return StringMethods.Contains(name);
        }
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying != null)
        {
            return name is "GetValueOrDefault" or "HasValue" || (name == "ToString" && FrameworkTypes.HasFrameworkEquality(underlying));
        }
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(DateOnly) || type == typeof(TimeOnly))
        {
            return TimeMethods.Contains(name);
        }
        if (type == typeof(StringBuilder))
        {
            return name == "ToString";
        }
        if (FrameworkTypes.HasFrameworkEquality(type))
        {
            return name is "ToString" or "Equals" or "CompareTo";
        }
        var collection = CollectionDefinition(type);
        if (collection != null)
        {
            var args = collection.GetGenericArguments();
            return name switch
            {
                "Contains" or "IndexOf" or "LastIndexOf" => args.Length == 1 && FrameworkTypes.HasFrameworkEquality(args[0]),
                "ContainsKey" => args.Length == 2 && FrameworkTypes.HasFrameworkEquality(args[0]),
                "ContainsValue" => args.Length == 2 && FrameworkTypes.HasFrameworkEquality(args[1]),
                _ => false,
            };
        }
        return false;
    }

    /// <summary>The declaring type to look the method up on (the framework collection base for a subclass).</summary>
    public static Type MethodOwner(Type type) => CollectionDefinition(type) ?? type;

    /// <summary>True when a static method of this name may be called on <paramref name="type"/>.</summary>
    public static bool StaticMethodAllowed(Type type, string name) =>
        type == typeof(Math) || type == typeof(MathF)
        || (type == typeof(string) && StringStatics.Contains(name))
        || (type == typeof(char) && CharStatics.Contains(name))
        || (FrameworkTypes.HasFrameworkEquality(type) && type != typeof(string) && name is "IsNaN" or "IsInfinity" or "IsPositiveInfinity" or "IsNegativeInfinity" or "IsFinite" or "Abs" or "Max" or "Min" or "Sign" or "Clamp");

    /// <summary>An allowed static property (the clock), or null.</summary>
    public static PropertyInfo? StaticProperty(Type type, string name)
    {
        if ((type == typeof(DateTime) && name is "Now" or "UtcNow" or "Today") || (type == typeof(DateTimeOffset) && name is "Now" or "UtcNow"))
        {
            return type.GetProperty(name, BindingFlags.Static | BindingFlags.Public);
        }
        return null;
    }

    /// <summary>Collections whose comparer decides equality: one from the application would run its code.</summary>
    public static PropertyInfo? ComparerProperty(Type type)
    {
        var collection = CollectionDefinition(type);
        var p = collection?.GetProperty("Comparer", BindingFlags.Instance | BindingFlags.Public);
        if (p == null)
        {
            p = collection?.GetProperty("KeyComparer", BindingFlags.Instance | BindingFlags.Public);
        }
        return p;
    }
}
