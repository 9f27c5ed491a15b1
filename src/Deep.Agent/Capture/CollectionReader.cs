using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;

namespace Deep.Agent.Capture;

/// <summary>How the items of a collection are read.</summary>
internal enum CollectionKind
{
    /// <summary>Not a collection capture may enumerate: its fields are walked instead.</summary>
    None,
    /// <summary>An array (any rank).</summary>
    Array,
    /// <summary><c>List&lt;T&gt;</c> or a subclass: read through its <c>_items</c> and <c>_size</c> fields.</summary>
    List,
    /// <summary>A framework dictionary: entries through <see cref="IDictionaryEnumerator"/>.</summary>
    Dictionary,
    /// <summary>A framework collection enumerated through its own (framework) enumerator.</summary>
    Sequence,
}

/// <summary>
/// Reads the items of the framework collections capture understands, without running user code. The allow-list is
/// of exact framework types: a user subclass could re-implement <c>IEnumerable</c>, and an arbitrary
/// <c>IEnumerable</c> may be a lazy query, so neither is ever enumerated (their fields are shown instead).
/// </summary>
internal static class CollectionReader
{
    private static readonly HashSet<Type> EnumerableDefinitions =
    [
        typeof(Dictionary<,>), typeof(SortedDictionary<,>), typeof(SortedList<,>), typeof(ConcurrentDictionary<,>),
        typeof(HashSet<>), typeof(SortedSet<>), typeof(Queue<>), typeof(Stack<>), typeof(LinkedList<>),
        typeof(ConcurrentQueue<>), typeof(ConcurrentStack<>), typeof(ImmutableList<>), typeof(ImmutableDictionary<,>),
        typeof(ImmutableHashSet<>), typeof(ImmutableSortedDictionary<,>), typeof(ImmutableSortedSet<>),
    ];

    private static readonly HashSet<Type> EnumerableNonGeneric =
    [
        typeof(ArrayList), typeof(Hashtable), typeof(Queue), typeof(Stack), typeof(SortedList),
    ];

    private sealed record Shape(CollectionKind Kind, FieldInfo? Items, FieldInfo? Size, Func<object, int>? Count, Type ItemType, Type? KeyType);

    private static readonly ConcurrentDictionary<Type, Shape> Shapes = new();

    public static CollectionKind KindOf(Type type) => ShapeOf(type).Kind;

    /// <summary>The number of items, or -1 when the value is not a collection capture reads.</summary>
    public static int CountOf(object value)
    {
        var shape = ShapeOf(value.GetType());
        switch (shape.Kind)
        {
            case CollectionKind.Array:
                return ((Array)value).Length;
            case CollectionKind.List:
                return (int)shape.Size!.GetValue(value)!;
            case CollectionKind.Dictionary:
            case CollectionKind.Sequence:
                return shape.Count!(value);
            default:
                return -1;
        }
    }

    /// <summary>The declared type of the items (the value type of a dictionary).</summary>
    public static Type ItemTypeOf(Type type) => ShapeOf(type).ItemType;

    /// <summary>
    /// Hands the first <paramref name="max"/> items to <paramref name="onItem"/> as (name, value) pairs, one at a
    /// time, until it returns false: <c>[i]</c> for sequences, the key's text for dictionaries (each key cut to
    /// <paramref name="maxKeyLength"/>, all of them together to <paramref name="keyCharBudget"/> characters). Reading
    /// and capturing alternate, so the capture's limits (checked by <paramref name="onItem"/>) end the reading of a
    /// huge collection as soon as they are reached, not after it was read to <paramref name="max"/>.
    /// </summary>
    /// <returns>How many items were handed over.</returns>
    public static int ReadItems(object value, int max, int maxKeyLength, Func<string, object?, bool> onItem, long keyCharBudget = long.MaxValue)
    {
        var shape = ShapeOf(value.GetType());
        var taken = 0;
        bool Take(string name, object? item)
        {
            taken++;
            return onItem(name, item);
        }
        switch (shape.Kind)
        {
            case CollectionKind.Array:
                ReadArray((Array)value, max, Take);
                break;
            case CollectionKind.List:
                var items = (Array?)shape.Items!.GetValue(value);
                var size = (int)shape.Size!.GetValue(value)!;
                if (items == null) break;
                // A list being resized on another thread may show a size past its array: read what exists.
                var n = Math.Min(Math.Min(size, max), items.Length);
                for (var i = 0; i < n; i++)
                {
                    if (!Take(Index(i), items.GetValue(i))) break;
                }
                break;
            case CollectionKind.Dictionary:
                var entries = ((IDictionary)value).GetEnumerator();
                while (taken < max && keyCharBudget > 0 && entries.MoveNext())
                {
                    var key = ValueText.Format(entries.Key, (int)Math.Min(maxKeyLength, keyCharBudget), out _);
                    keyCharBudget -= Math.Max(1, key.Length);
                    if (!Take(key, entries.Value)) break;
                }
                break;
            case CollectionKind.Sequence:
                var e = ((IEnumerable)value).GetEnumerator();
                while (taken < max && e.MoveNext())
                {
                    if (!Take(Index(taken), e.Current)) break;
                }
                break;
        }
        return taken;
    }

    private static string Index(int i) => "[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]";

    private static void ReadArray(Array array, int max, Func<string, object?, bool> take)
    {
        if (array.Rank == 1)
        {
            var n = Math.Min(array.Length, max);
            var lower = array.GetLowerBound(0);
            for (var i = 0; i < n; i++)
            {
                if (!take(Index(i + lower), array.GetValue(i + lower))) return;
            }
            return;
        }
        var indices = new int[array.Rank];
        for (var d = 0; d < indices.Length; d++) indices[d] = array.GetLowerBound(d);
        var taken = 0;
        while (taken < max && taken < array.Length)
        {
            if (!take("[" + string.Join(",", indices) + "]", array.GetValue(indices))) return;
            taken++;
            // Advance like an odometer, last dimension fastest (row-major, as C# lays out and enumerates).
            for (var d = indices.Length - 1; d >= 0; d--)
            {
                if (++indices[d] <= array.GetUpperBound(d)) break;
                indices[d] = array.GetLowerBound(d);
            }
        }
    }

    private static Shape ShapeOf(Type type) => Shapes.GetOrAdd(type, Build);

    private static Shape Build(Type type)
    {
        if (type.IsArray)
        {
            return new Shape(CollectionKind.Array, null, null, null, type.GetElementType()!, null);
        }
        for (var t = type; t != null && t != typeof(object); t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))
            {
                var items = t.GetField("_items", BindingFlags.Instance | BindingFlags.NonPublic);
                var size = t.GetField("_size", BindingFlags.Instance | BindingFlags.NonPublic);
                if (items != null && size != null && size.FieldType == typeof(int))
                {
                    return new Shape(CollectionKind.List, items, size, null, t.GetGenericArguments()[0], null);
                }
            }
        }
        var enumerable = EnumerableNonGeneric.Contains(type)
                         || (type.IsGenericType && !type.IsGenericTypeDefinition && EnumerableDefinitions.Contains(type.GetGenericTypeDefinition()));
        if (!enumerable)
        {
            return new Shape(CollectionKind.None, null, null, null, typeof(object), null);
        }
        Func<object, int> count;
        if (typeof(ICollection).IsAssignableFrom(type))
        {
            count = static o => ((ICollection)o).Count;
        }
        else
        {
            // HashSet<T> and friends have no non-generic ICollection; their Count getter is framework code.
            var property = type.GetProperty("Count", BindingFlags.Instance | BindingFlags.Public);
            if (property == null || property.PropertyType != typeof(int))
            {
                return new Shape(CollectionKind.None, null, null, null, typeof(object), null);
            }
            count = o => (int)property.GetValue(o)!;
        }
        var args = type.IsGenericType ? type.GetGenericArguments() : [];
        var isDictionary = typeof(IDictionary).IsAssignableFrom(type);
        var itemType = isDictionary ? (args.Length == 2 ? args[1] : typeof(object)) : (args.Length == 1 ? args[0] : typeof(object));
        return new Shape(isDictionary ? CollectionKind.Dictionary : CollectionKind.Sequence, null, null, count, itemType,
            isDictionary && args.Length == 2 ? args[0] : null);
    }
}
