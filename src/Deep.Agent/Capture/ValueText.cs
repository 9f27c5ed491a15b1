using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Deep.Agent.Capture;

/// <summary>
/// The text of a captured value (a <c>Variable</c>'s <c>value</c>, a log template's <c>{expr}</c>). Runs no user code:
/// only framework types are formatted by their own methods; any other object is shown by its type name.
/// </summary>
/// <remarks>
/// Choices: <c>bool</c> is <c>true</c>/<c>false</c> as C# writes it (the Python agent shows Python's <c>True</c>,
/// the Java agent Java's <c>true</c>: each agent shows its own language's literal); numbers use the invariant culture
/// and round-trip formatting; dates are ISO 8601 (<c>o</c>), <c>TimeSpan</c> uses <c>c</c>; a <c>char</c> is itself;
/// enums by name (<c>Read, Write</c> for flags); collections <c>List&lt;int&gt; of size: 3</c>.
/// </remarks>
internal static class ValueText
{
    /// <summary>The text of <paramref name="value"/>, cut to <paramref name="maxStringLength"/> characters.</summary>
    public static string Format(object? value, int maxStringLength, out bool truncated)
    {
        truncated = false;
        switch (value)
        {
            case null:
                return "null";
            case string s:
                return Cut(s, maxStringLength, out truncated);
            case bool b:
                return b ? "true" : "false";
            case char c:
                return c.ToString();
            case Enum e:
                return e.ToString();
            case DateTime dt:
                return dt.ToString("o", CultureInfo.InvariantCulture);
            case DateTimeOffset dto:
                return dto.ToString("o", CultureInfo.InvariantCulture);
            case TimeSpan ts:
                return ts.ToString("c", CultureInfo.InvariantCulture);
            case DateOnly d:
                return d.ToString("o", CultureInfo.InvariantCulture);
            case TimeOnly t:
                return t.ToString("o", CultureInfo.InvariantCulture);
            case Type type:
                return CSharpTypeNames.FullNameOf(type);
            case Exception exception:
                return ExceptionText(exception, maxStringLength, out truncated);
        }

        var runtimeType = value.GetType();
        if (runtimeType.IsPrimitive || runtimeType == typeof(decimal) || runtimeType == typeof(Guid) || runtimeType == typeof(Half)
            || runtimeType == typeof(Int128) || runtimeType == typeof(UInt128))
        {
            return ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture);
        }
        if (runtimeType == typeof(StringBuilder))
        {
            var sb = (StringBuilder)value;
            truncated = sb.Length > maxStringLength;
            return sb.ToString(0, Math.Min(sb.Length, maxStringLength));
        }
        if (runtimeType == typeof(Uri))
        {
            return Cut(((Uri)value).OriginalString, maxStringLength, out truncated);
        }
        if (runtimeType == typeof(Version))
        {
            return value.ToString()!;
        }
        var count = CollectionReader.CountOf(value);
        if (count >= 0)
        {
            return CSharpTypeNames.Of(runtimeType) + " of size: " + count.ToString(CultureInfo.InvariantCulture);
        }
        return CSharpTypeNames.Of(runtimeType);
    }

    /// <summary><c>InvalidOperationException: the message</c>, or the type name alone when no message was given.</summary>
    private static string ExceptionText(Exception exception, int maxStringLength, out bool truncated)
    {
        var type = CSharpTypeNames.Of(exception.GetType());
        truncated = false;
        string? message;
        try
        {
            message = MessageField(exception);
        }
        catch (MissingFieldException)
        {
            message = null; // a runtime whose Exception has no such field: the type name still says what it is
        }
        return string.IsNullOrEmpty(message) ? type : type + ": " + Cut(message, maxStringLength, out truncated);
    }

    // Exception.Message is virtual (an application's exception may compute it): read the field it returns by default.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_message")]
    private static extern ref string? MessageField(Exception exception);

    private static string Cut(string s, int max, out bool truncated)
    {
        truncated = s.Length > max;
        return truncated ? s[..Math.Max(0, max)] : s;
    }

    /// <summary>True for values shown by their text alone (no children).</summary>
    public static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type.IsPointer || type == typeof(string) || type == typeof(decimal)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid)
        || type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(Half) || type == typeof(Int128)
        || type == typeof(UInt128) || type == typeof(StringBuilder) || type == typeof(Uri) || type == typeof(Version)
        || typeof(Type).IsAssignableFrom(type) || typeof(Delegate).IsAssignableFrom(type)
        || typeof(System.Reflection.MemberInfo).IsAssignableFrom(type);
}
