using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Deep.Agent.Capture;

/// <summary>One field capture shows as a child.</summary>
/// <param name="Field">The field read.</param>
/// <param name="Name">The name shown: the property's name for an auto-property backing field.</param>
/// <param name="OriginalName">The field's own name when it differs from <paramref name="Name"/>.</param>
/// <param name="Modifiers">The C# modifiers (of the property, for a backing field).</param>
internal sealed record FieldEntry(FieldInfo Field, string Name, string? OriginalName, IReadOnlyList<string> Modifiers);

/// <summary>
/// The fields capture reads from objects of one type, computed once per type from metadata only.
/// </summary>
/// <remarks>
/// Static fields are shown (with the <c>static</c> modifier) only for non-framework types, and only when reading them
/// cannot run a static constructor: the type has none, or it is not <c>beforefieldinit</c> (then the runtime ran it
/// before the first instance was created, and capture only reads statics of a type it holds an instance of).
/// <c>RuntimeHelpers.RunClassConstructor</c> is never called. Constants and <c>[ThreadStatic]</c> fields are not shown.
/// </remarks>
internal sealed class ObjectLayout
{
    private static readonly ConcurrentDictionary<Type, ObjectLayout> Cache = new();

    public IReadOnlyList<FieldEntry> Fields { get; }

    private readonly Type _type;
    private Func<object, object?[]>? _reader;

    private ObjectLayout(Type type, IReadOnlyList<FieldEntry> fields)
    {
        _type = type;
        Fields = fields;
    }

    /// <summary>
    /// Reads every field of <see cref="Fields"/> from an instance, in order. A compiled delegate, not
    /// <see cref="FieldInfo.GetValue"/>: reflection runs the declaring type's static constructor even for an instance
    /// field (observed on .NET 10), and a compiled <c>ldfld</c> does not.
    /// </summary>
    public object?[] ReadAll(object instance) => (_reader ?? CompileReaderTimed())(instance);

    /// <summary>
    /// Time this thread spent building layouts and compiling readers: a one-time cost per type (JIT and expression
    /// compilation, about a millisecond each, far more on a loaded machine) that the capture time budget leaves out,
    /// so the first snapshot that meets a type is not cut short by work later snapshots never repeat.
    /// </summary>
    internal static long SetupTicksOnThisThread => t_setupTicks;

    [ThreadStatic]
    private static long t_setupTicks;

    private Func<object, object?[]> CompileReaderTimed()
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return _reader ??= CompileReader();
        }
        finally
        {
            t_setupTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        }
    }

    private Func<object, object?[]> CompileReader()
    {
        var parameter = System.Linq.Expressions.Expression.Parameter(typeof(object), "instance");
        var typed = System.Linq.Expressions.Expression.Variable(_type, "typed");
        var reads = Fields.Select(f => (System.Linq.Expressions.Expression)System.Linq.Expressions.Expression.Convert(
            System.Linq.Expressions.Expression.Field(f.Field.IsStatic ? null : typed, f.Field), typeof(object)));
        var body = System.Linq.Expressions.Expression.Block(
            [typed],
            System.Linq.Expressions.Expression.Assign(typed, System.Linq.Expressions.Expression.Convert(parameter, _type)),
            System.Linq.Expressions.Expression.NewArrayInit(typeof(object), reads));
        return System.Linq.Expressions.Expression.Lambda<Func<object, object?[]>>(body, parameter).Compile();
    }

    public static ObjectLayout Of(Type type)
    {
        if (Cache.TryGetValue(type, out var layout)) return layout;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return Cache.GetOrAdd(type, Build);
        }
        finally
        {
            t_setupTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        }
    }

    private static ObjectLayout Build(Type type)
    {
        var fields = new List<FieldEntry>();
        var includeStatics = !FrameworkTypes.IsFramework(type);
        // The most derived type's fields first: they are the ones a developer looks for.
        for (var t = type; t != null && t != typeof(object) && t != typeof(ValueType) && t != typeof(Enum); t = t.BaseType)
        {
            var flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            if (includeStatics && !FrameworkTypes.IsFramework(t) && StaticsAreSafe(t))
            {
                flags |= BindingFlags.Static;
            }
            foreach (var field in t.GetFields(flags))
            {
                if (t == typeof(Exception))
                {
                    // System.Exception's fields are mostly the runtime's bookkeeping (raw stack trace bytes, Watson
                    // buckets, SEH codes): show the ones behind its public properties, under those names.
                    if (ExceptionFields.TryGetValue(field.Name, out var property))
                        fields.Add(new FieldEntry(field, property, field.Name, ["public"]));
                    continue;
                }
                // Pointers cannot be boxed; constants are metadata, not state; a thread-static belongs to whichever
                // thread reads it.
                if (field.IsLiteral || field.FieldType.IsPointer || field.FieldType.IsFunctionPointer || field.FieldType.IsByRefLike
                    || (field.IsStatic && field.IsDefined(typeof(ThreadStaticAttribute), false)))
                {
                    continue;
                }
                if (field.IsStatic && t.ContainsGenericParameters)
                {
                    continue;
                }
                fields.Add(Describe(t, field));
            }
        }
        return new ObjectLayout(type, fields);
    }

    private static readonly Dictionary<string, string> ExceptionFields = new(StringComparer.Ordinal)
    {
        ["_message"] = nameof(Exception.Message),
        ["_innerException"] = nameof(Exception.InnerException),
        ["_HResult"] = nameof(Exception.HResult),
        ["_source"] = nameof(Exception.Source),
        ["_data"] = nameof(Exception.Data),
    };

    private static bool StaticsAreSafe(Type type) =>
        type.TypeInitializer == null || (type.Attributes & TypeAttributes.BeforeFieldInit) == 0;

    private static FieldEntry Describe(Type declaring, FieldInfo field)
    {
        var name = field.Name;
        var display = SourceName(name);
        if (display != null && name.EndsWith(">k__BackingField", StringComparison.Ordinal))
        {
            var property = declaring.GetProperty(display, BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
            var accessor = property?.GetMethod ?? property?.SetMethod;
            var modifiers = accessor != null ? Modifiers(accessor) : Modifiers(field);
            if (field.IsStatic && !modifiers.Contains("static")) modifiers.Add("static");
            if (field.IsInitOnly) modifiers.Add("readonly");
            return new FieldEntry(field, display, name, modifiers);
        }
        var fieldModifiers = Modifiers(field);
        if (field.IsStatic) fieldModifiers.Add("static");
        if (field.IsInitOnly) fieldModifiers.Add("readonly");
        return display != null
            ? new FieldEntry(field, display, name, fieldModifiers)
            : new FieldEntry(field, name, null, fieldModifiers);
    }

    /// <summary>
    /// The source name behind a compiler-generated field name: <c>&lt;Name&gt;k__BackingField</c> (auto-property),
    /// <c>&lt;Name&gt;i__Field</c> (anonymous type), <c>&lt;x&gt;5__2</c> (hoisted local), <c>&lt;&gt;4__this</c>
    /// (<c>this</c>); null when the name is not one of these.
    /// </summary>
    internal static string? SourceName(string fieldName)
    {
        if (fieldName == "<>4__this")
        {
            return "this";
        }
        if (fieldName.Length < 3 || fieldName[0] != '<')
        {
            return null;
        }
        var close = fieldName.IndexOf('>', StringComparison.Ordinal);
        if (close <= 1)
        {
            return null;
        }
        var suffix = fieldName.AsSpan(close + 1);
        if (suffix.SequenceEqual("k__BackingField") || suffix.SequenceEqual("i__Field") || suffix.StartsWith("5__"))
        {
            return fieldName[1..close];
        }
        return null;
    }

    private static List<string> Modifiers(FieldInfo field)
    {
        if (field.IsPublic) return ["public"];
        if (field.IsPrivate) return ["private"];
        if (field.IsFamily) return ["protected"];
        if (field.IsAssembly) return ["internal"];
        if (field.IsFamilyOrAssembly) return ["protected", "internal"];
        if (field.IsFamilyAndAssembly) return ["private", "protected"];
        return [];
    }

    private static List<string> Modifiers(MethodInfo accessor)
    {
        var modifiers = accessor.IsPublic ? ["public"]
            : accessor.IsPrivate ? ["private"]
            : accessor.IsFamily ? ["protected"]
            : accessor.IsAssembly ? ["internal"]
            : accessor.IsFamilyOrAssembly ? ["protected", "internal"]
            : accessor.IsFamilyAndAssembly ? new List<string> { "private", "protected" }
            : [];
        if (accessor.IsStatic) modifiers.Add("static");
        return modifiers;
    }

    /// <summary>True when a value of this type may have children to show.</summary>
    public static bool MayHaveChildren(object value, Type runtimeType)
    {
        if (ValueText.IsLeaf(runtimeType))
        {
            return false;
        }
        var count = CollectionReader.CountOf(value);
        if (count >= 0)
        {
            return count > 0;
        }
        return Of(runtimeType).Fields.Count > 0;
    }

    /// <summary>The object's identity: <see cref="RuntimeHelpers.GetHashCode(object)"/>, never a user <c>GetHashCode</c>.</summary>
    public static string IdentityOf(object value) =>
        RuntimeHelpers.GetHashCode(value).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
