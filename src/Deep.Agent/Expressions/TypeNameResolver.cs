using System.Collections.Concurrent;
using System.Reflection;
using Deep.Agent.Capture;

using Deep.Tracepoints.Expressions;

namespace Deep.Agent.Expressions;

/// <summary>Resolves the type names an expression may use: C# keywords, common framework types, and application types.</summary>
internal static class TypeNameResolver
{
    private static readonly Dictionary<string, Type> Known = new(StringComparer.Ordinal)
    {
        ["bool"] = typeof(bool), ["byte"] = typeof(byte), ["sbyte"] = typeof(sbyte), ["char"] = typeof(char),
        ["short"] = typeof(short), ["ushort"] = typeof(ushort), ["int"] = typeof(int), ["uint"] = typeof(uint),
        ["long"] = typeof(long), ["ulong"] = typeof(ulong), ["float"] = typeof(float), ["double"] = typeof(double),
        ["decimal"] = typeof(decimal), ["string"] = typeof(string), ["object"] = typeof(object), ["nint"] = typeof(nint),
        ["nuint"] = typeof(nuint),
        ["Boolean"] = typeof(bool), ["Byte"] = typeof(byte), ["SByte"] = typeof(sbyte), ["Char"] = typeof(char),
        ["Int16"] = typeof(short), ["UInt16"] = typeof(ushort), ["Int32"] = typeof(int), ["UInt32"] = typeof(uint),
        ["Int64"] = typeof(long), ["UInt64"] = typeof(ulong), ["Single"] = typeof(float), ["Double"] = typeof(double),
        ["Decimal"] = typeof(decimal), ["String"] = typeof(string), ["Object"] = typeof(object),
        ["Math"] = typeof(Math), ["MathF"] = typeof(MathF), ["DateTime"] = typeof(DateTime),
        ["DateTimeOffset"] = typeof(DateTimeOffset), ["TimeSpan"] = typeof(TimeSpan), ["Guid"] = typeof(Guid),
        ["DateOnly"] = typeof(DateOnly), ["TimeOnly"] = typeof(TimeOnly), ["StringComparison"] = typeof(StringComparison),
        ["StringSplitOptions"] = typeof(StringSplitOptions), ["MidpointRounding"] = typeof(MidpointRounding),
        ["DayOfWeek"] = typeof(DayOfWeek), ["DateTimeKind"] = typeof(DateTimeKind),
    };

    private static readonly ConcurrentDictionary<string, Type?> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// The type named <paramref name="name"/> (simple or namespace-qualified), or null. Application types are found in
    /// the loaded non-framework assemblies; an ambiguous simple name throws with the candidates.
    /// </summary>
    public static Type? Resolve(string name, int position)
    {
        if (Known.TryGetValue(name, out var known))
        {
            return known;
        }
        if (name.StartsWith("System.", StringComparison.Ordinal))
        {
            var framework = typeof(object).Assembly.GetType(name)
                            ?? AppDomain.CurrentDomain.GetAssemblies().Where(FrameworkTypes.IsFrameworkAssembly).Select(a => a.GetType(name)).FirstOrDefault(t => t != null);
            if (framework != null) return framework;
        }
        if (Cache.TryGetValue(name, out var cached) && cached != null)
        {
            return cached;
        }
        var matches = new List<Type>();
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsDynamic || FrameworkTypes.IsFrameworkAssembly(assembly))
            {
                continue;
            }
            foreach (var type in TypesOf(assembly))
            {
                if (type.IsGenericTypeDefinition || type.Name.StartsWith('<'))
                {
                    continue;
                }
                var full = type.FullName?.Replace('+', '.');
                if (full == name || (type.Name == name && !name.Contains('.', StringComparison.Ordinal)))
                {
                    matches.Add(type);
                }
            }
        }
        var distinct = matches.Distinct().ToList();
        if (distinct.Count > 1)
        {
            throw new ExpressionSyntaxException("type name '" + name + "' is ambiguous: " + string.Join(", ", distinct.Select(t => t.FullName)) + "; use the full name", position);
        }
        var found = distinct.Count == 1 ? distinct[0] : null;
        if (found != null)
        {
            Cache[name] = found;
        }
        return found;
    }

    private static Type[] TypesOf(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.Where(t => t != null).ToArray()!;
        }
    }
}
