using System.Collections.Concurrent;
using System.Reflection;

namespace Deep.Agent.Capture;

/// <summary>
/// Which types belong to the .NET framework itself. Capture and expressions trust framework code (a getter, an
/// enumerator, <c>ToString</c> of a framework value type) and never run code of any other assembly.
/// </summary>
internal static class FrameworkTypes
{
    // Public key tokens the runtime and framework assemblies are signed with (ECMA, Microsoft, ASP.NET, ...).
    private static readonly HashSet<string> FrameworkKeyTokens = new(StringComparer.OrdinalIgnoreCase)
    {
        "b77a5c561934e089", "b03f5f7f11d50a3a", "7cec85d7bea7798e", "cc7b13ffcd2ddd51", "31bf3856ad364e35",
        "adb9793829ddae60",
    };

    private static readonly ConcurrentDictionary<Assembly, bool> AssemblyCache = new();

    /// <summary>True when the type is defined in a framework assembly (signed by Microsoft, named System.* / Microsoft.*).</summary>
    public static bool IsFramework(Type type)
    {
        if (type.IsArray || type.IsPointer || type.IsByRef)
        {
            return true;
        }
        return IsFrameworkAssembly(type.Assembly);
    }

    /// <summary>True for a framework assembly.</summary>
    public static bool IsFrameworkAssembly(Assembly assembly) => AssemblyCache.GetOrAdd(assembly, static a =>
    {
        if (a == typeof(object).Assembly)
        {
            return true;
        }
        var name = a.GetName();
        var simple = name.Name ?? "";
        if (!(simple.StartsWith("System", StringComparison.Ordinal) || simple.StartsWith("Microsoft.", StringComparison.Ordinal)
              || simple is "mscorlib" or "netstandard"))
        {
            return false;
        }
        var token = name.GetPublicKeyToken();
        return token is { Length: 8 } && FrameworkKeyTokens.Contains(Convert.ToHexString(token));
    });

    /// <summary>True when the type and all its generic arguments are framework types (e.g. <c>List&lt;int&gt;</c>, not <c>List&lt;Order&gt;</c>).</summary>
    public static bool IsFrameworkClosed(Type type)
    {
        if (type.HasElementType)
        {
            return IsFrameworkClosed(type.GetElementType()!);
        }
        if (!IsFramework(type))
        {
            return false;
        }
        if (type.IsGenericType)
        {
            foreach (var arg in type.GetGenericArguments())
            {
                if (!IsFrameworkClosed(arg)) return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Types whose equality, hashing and text are the framework's own: primitives, string, enums, and framework value
    /// types made only of such parts. Safe to compare or format without running user code.
    /// </summary>
    public static bool HasFrameworkEquality(Type type)
    {
        if (type.IsPrimitive || type == typeof(string) || type == typeof(decimal) || type.IsEnum)
        {
            return true;
        }
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying != null)
        {
            return HasFrameworkEquality(underlying);
        }
        return type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid)
               || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(Half) || type == typeof(Int128)
               || type == typeof(UInt128);
    }
}
