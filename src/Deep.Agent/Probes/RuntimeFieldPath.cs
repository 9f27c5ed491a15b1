using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Deep.Agent.Capture;
using Deep.Agent.Expressions;

namespace Deep.Agent.Probes;

/// <summary>
/// Reads a variable the compiler moved into a generic state machine or closure. A probe's layout knows only the open
/// type (<c>&lt;SumAsync&gt;d__0&lt;T&gt;</c>), whose fields cannot be read from an instance; the names of the fields
/// leading to the variable are found on the open type when the expression is compiled, and walked on the instance's
/// runtime type (the instantiation) when it is evaluated. Fields only, read by compiled code (never
/// <c>FieldInfo.GetValue</c>, which runs a static constructor): no getter, no user code.
/// </summary>
internal static class RuntimeFieldPath
{
    /// <summary>Readers are cached per (runtime type, field name); the cache starts over when it holds this many.</summary>
    internal const int MaxCachedReaders = 1024;

    private const BindingFlags Fields = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private static readonly ConcurrentDictionary<(Type Type, string Name), Func<object, object?>?> s_readers = new();

    public static readonly MethodInfo ReadMethod = typeof(RuntimeFieldPath).GetMethod(nameof(Read))!;

    internal static int CachedReaders => s_readers.Count;

    /// <summary>
    /// Follows <paramref name="path"/> (field names) from <paramref name="owner"/>; throws an
    /// <see cref="ExpressionRuntimeException"/> naming <paramref name="text"/> when a link is null or a field is missing.
    /// </summary>
    public static object? Read(object? owner, string[] path, string text)
    {
        var current = owner;
        for (var i = 0; i < path.Length; i++)
        {
            if (current is null)
            {
                throw new ExpressionRuntimeException(i == 0
                    ? "'" + text + "' is not available: its state machine or closure is null"
                    : "'" + text + "' is not available: the closure that holds it is null (not created yet on this path)");
            }
            var type = current.GetType();
            var reader = Reader(type, path[i])
                ?? throw new ExpressionRuntimeException("'" + text + "' is not available: " + CSharpTypeNames.Of(type) + " has no readable field '" + path[i] + "'");
            current = reader(current);
        }
        return current;
    }

    private static Func<object, object?>? Reader(Type type, string name)
    {
        if (s_readers.TryGetValue((type, name), out var reader)) return reader;
        reader = Build(type, name);
        // Instantiations are few in practice; the bound keeps an unusual program from growing the cache forever.
        if (s_readers.Count >= MaxCachedReaders) s_readers.Clear();
        s_readers.TryAdd((type, name), reader);
        return reader;
    }

    private static Func<object, object?>? Build(Type type, string name)
    {
        FieldInfo? field = null;
        for (var t = type; t is not null && t != typeof(object) && field is null; t = t.BaseType)
            field = t.GetField(name, Fields);
        if (field is null || field.FieldType.IsPointer || field.FieldType.IsByRefLike || field.FieldType.IsFunctionPointer) return null;
        var target = Expression.Parameter(typeof(object), "target");
        Expression read;
        if (field.IsStatic)
        {
            // Only reached for a field of the original `this` that ProbeScope allowed on the open type (no type
            // initializer, or not beforefieldinit); the instantiation has the same initializer. Checked again here.
            var declaring = field.DeclaringType!;
            if (declaring.TypeInitializer != null && (declaring.Attributes & TypeAttributes.BeforeFieldInit) != 0) return null;
            read = Expression.Field(null, field);
        }
        else
        {
            read = Expression.Field(Expression.Convert(target, type), field);
        }
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(read, typeof(object)), target).Compile();
    }
}
