using System.Collections.Concurrent;
using System.Text;

namespace Deep.Agent.Capture;

/// <summary>Type names as a C# programmer writes them: <c>int</c>, <c>List&lt;string&gt;</c>, <c>int?</c>, <c>Outer.Inner</c>.</summary>
internal static class CSharpTypeNames
{
    private static readonly ConcurrentDictionary<Type, string> Short = new();
    private static readonly ConcurrentDictionary<Type, string> Full = new();

    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(bool)] = "bool", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(char)] = "char",
        [typeof(short)] = "short", [typeof(ushort)] = "ushort", [typeof(int)] = "int", [typeof(uint)] = "uint",
        [typeof(long)] = "long", [typeof(ulong)] = "ulong", [typeof(float)] = "float", [typeof(double)] = "double",
        [typeof(decimal)] = "decimal", [typeof(string)] = "string", [typeof(object)] = "object", [typeof(void)] = "void",
        [typeof(nint)] = "nint", [typeof(nuint)] = "nuint",
    };

    /// <summary>The C# name of <paramref name="type"/> without namespaces, e.g. <c>Dictionary&lt;string, Order&gt;</c>.</summary>
    public static string Of(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Short.GetOrAdd(type, static t => Build(t, qualified: false));
    }

    /// <summary>The C# name with the namespace of the outermost type, e.g. <c>Shop.Orders.OrderService.Line</c>.</summary>
    public static string FullNameOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Full.GetOrAdd(type, static t => Build(t, qualified: true));
    }

    private static string Build(Type type, bool qualified)
    {
        var sb = new StringBuilder();
        Append(sb, type, qualified);
        return sb.ToString();
    }

    /// <summary>A type name is cut (with "...") past this length: it bounds the recursion over a generic type built
    /// at run time to any depth (<c>Node&lt;Node&lt;Node&lt;...&gt;&gt;&gt;</c>), and the text repeated in every variable.</summary>
    internal const int MaxNameLength = 1024;

    private static void Append(StringBuilder sb, Type type, bool qualified)
    {
        if (sb.Length > MaxNameLength)
        {
            sb.Append("...");
            return;
        }
        if (Keywords.TryGetValue(type, out var keyword))
        {
            sb.Append(keyword);
            return;
        }
        if (type.IsByRef)
        {
            sb.Append("ref ");
            Append(sb, type.GetElementType()!, qualified);
            return;
        }
        if (type.IsPointer)
        {
            Append(sb, type.GetElementType()!, qualified);
            sb.Append('*');
            return;
        }
        if (type.IsArray)
        {
            // C# writes the outermost rank first: int[][,] is an array of int[,]. Collect ranks, then the element.
            var ranks = new List<int>();
            var element = type;
            while (element.IsArray)
            {
                ranks.Add(element.GetArrayRank());
                element = element.GetElementType()!;
            }
            Append(sb, element, qualified);
            foreach (var rank in ranks)
            {
                sb.Append('[').Append(',', rank - 1).Append(']');
            }
            return;
        }
        if (type.IsGenericParameter)
        {
            sb.Append(type.Name);
            return;
        }
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying != null)
        {
            Append(sb, underlying, qualified);
            sb.Append('?');
            return;
        }
        if (type.IsGenericType && type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true)
        {
            AppendTuple(sb, type, qualified);
            return;
        }

        // Nested types: each level owns a slice of the generic arguments (Outer<T>.Inner<U> has [T, U] on Inner).
        var chain = new List<Type>();
        for (var t = type; t != null; t = t.IsNested ? t.DeclaringType : null)
        {
            chain.Add(t);
        }
        chain.Reverse();
        var args = type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes;
        var used = 0;
        if (qualified && !string.IsNullOrEmpty(chain[0].Namespace))
        {
            sb.Append(chain[0].Namespace).Append('.');
        }
        for (var i = 0; i < chain.Count; i++)
        {
            if (i > 0) sb.Append('.');
            var level = chain[i];
            var name = level.Name;
            var tick = name.IndexOf('`', StringComparison.Ordinal);
            if (tick >= 0)
            {
                name = name[..tick];
            }
            sb.Append(name);
            var total = level.IsGenericType ? level.GetGenericArguments().Length : 0;
            var own = total - used;
            if (own > 0 && used + own <= args.Length)
            {
                sb.Append('<');
                for (var a = 0; a < own; a++)
                {
                    if (a > 0) sb.Append(", ");
                    Append(sb, args[used + a], qualified);
                }
                sb.Append('>');
            }
            used = Math.Max(used, total);
        }
    }

    private static void AppendTuple(StringBuilder sb, Type type, bool qualified)
    {
        sb.Append('(');
        var first = true;
        var t = type;
        while (true)
        {
            var args = t.GetGenericArguments();
            // ValueTuple`8 nests the rest in its eighth argument (TRest).
            var count = args.Length == 8 ? 7 : args.Length;
            for (var i = 0; i < count; i++)
            {
                if (!first) sb.Append(", ");
                first = false;
                Append(sb, args[i], qualified);
            }
            if (args.Length == 8 && args[7].IsGenericType)
            {
                t = args[7];
                continue;
            }
            break;
        }
        sb.Append(')');
    }
}
