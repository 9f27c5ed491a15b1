using System.Text;

namespace Deep.Agent.Symbols;

/// <summary>Type names as a C# programmer writes them (<c>Span&lt;int&gt;</c>, <c>int?</c>), for messages.</summary>
internal static class TypeNames
{
    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(bool)] = "bool", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(char)] = "char",
        [typeof(short)] = "short", [typeof(ushort)] = "ushort", [typeof(int)] = "int", [typeof(uint)] = "uint",
        [typeof(long)] = "long", [typeof(ulong)] = "ulong", [typeof(float)] = "float", [typeof(double)] = "double",
        [typeof(decimal)] = "decimal", [typeof(string)] = "string", [typeof(object)] = "object", [typeof(void)] = "void",
        [typeof(nint)] = "nint", [typeof(nuint)] = "nuint",
    };

    /// <summary>The C# spelling of <paramref name="type"/>.</summary>
    public static string Display(Type type)
    {
        var builder = new StringBuilder();
        Append(builder, type);
        return builder.ToString();
    }

    private static void Append(StringBuilder builder, Type type)
    {
        if (Keywords.TryGetValue(type, out var keyword))
        {
            builder.Append(keyword);
            return;
        }
        if (type.IsByRef || type.IsPointer)
        {
            Append(builder, type.GetElementType()!);
            builder.Append(type.IsByRef ? "&" : "*");
            return;
        }
        if (type.IsArray)
        {
            Append(builder, type.GetElementType()!);
            builder.Append('[').Append(',', type.GetArrayRank() - 1).Append(']');
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Nullable<>))
        {
            Append(builder, type.GetGenericArguments()[0]);
            builder.Append('?');
            return;
        }
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        builder.Append(tick >= 0 ? name[..tick] : name);
        if (type.IsGenericType)
        {
            builder.Append('<');
            var arguments = type.GetGenericArguments();
            for (int i = 0; i < arguments.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append(", ");
                }
                Append(builder, arguments[i]);
            }
            builder.Append('>');
        }
    }
}
