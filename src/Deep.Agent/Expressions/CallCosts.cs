using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Deep.Agent.Expressions;

/// <summary>
/// Bounds, before it runs, every allowed call whose time or allocation grows with its input or its arguments: string
/// methods (<c>PadLeft(1000000000)</c>, <c>Replace("x", "yy")</c> on a huge string), string concatenation,
/// <c>ToString(format)</c>, <c>StringBuilder.ToString()</c> and linear collection searches. A call that could go
/// over <see cref="ExpressionLimits"/> is an evaluation error instead; each check also stops an evaluation that has
/// spent its time budget (<see cref="EvaluationDeadline"/>).
/// </summary>
internal sealed class CallCosts
{
    public static readonly MethodInfo CheckMethod = typeof(CallCosts).GetMethod(nameof(Check))!;
    public static readonly MethodInfo ConcatMethod = typeof(CallCosts).GetMethod(nameof(Concat))!;

    private static readonly ConcurrentDictionary<MethodInfo, CallCosts?> Cache = new();

    private readonly string _name;
    private readonly bool _onString;
    private readonly int[] _strings;
    private readonly int[] _integers;
    private readonly int _comparison;

    private CallCosts(MethodInfo method)
    {
        _name = method.Name;
        _onString = method.DeclaringType == typeof(string);
        var parameters = method.GetParameters();
        _strings = Indexes(parameters, typeof(string));
        _integers = Indexes(parameters, typeof(int));
        _comparison = Array.FindIndex(parameters, p => p.ParameterType == typeof(StringComparison));
    }

    private static int[] Indexes(ParameterInfo[] parameters, Type type) =>
        parameters.Select((p, i) => (p, i)).Where(x => x.p.ParameterType == type).Select(x => x.i).ToArray();

    /// <summary>The checks a call of <paramref name="method"/> needs, or null when its cost does not depend on its input.</summary>
    public static CallCosts? For(MethodInfo method) => Cache.GetOrAdd(method, static m => IsCostly(m) ? new CallCosts(m) : null);

    private static bool IsCostly(MethodInfo method)
    {
        var owner = method.DeclaringType!;
        if (owner == typeof(string))
        {
            return !(method.Name == "ToString" && method.GetParameters().Length == 0);
        }
        if (owner == typeof(StringBuilder))
        {
            return method.Name == "ToString";
        }
        if (method.Name == "ToString")
        {
            return method.GetParameters().Any(p => p.ParameterType == typeof(string)); // a format
        }
        if (method.Name is "Contains" or "IndexOf" or "LastIndexOf" or "ContainsValue" && PureMembers.CollectionDefinition(owner) != null)
        {
            // Sets find an item by hash or by tree: not a scan.
            return !(method.Name == "Contains" && owner.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(ISet<>)));
        }
        return false;
    }

    /// <summary>The string parameters whose lengths decide the cost (allowed methods have at most 4).</summary>
    public IReadOnlyList<int> StringParameters => _strings;

    /// <summary>The <c>int</c> parameters that decide the cost (the first 2 count).</summary>
    public IReadOnlyList<int> IntegerParameters => _integers;

    /// <summary>The <c>StringComparison</c> parameter, or -1.</summary>
    public int ComparisonParameter => _comparison;

    /// <summary>
    /// Called by compiled code before a costly call, with the arguments that decide its cost (no array, no boxing of
    /// a string receiver); throws an evaluation error when the call could go over a limit.
    /// </summary>
    public static void Check(CallCosts costs, object? receiver, string? s0, string? s1, string? s2, string? s3, int i0, int i1, int comparison, string text)
    {
        EvaluationDeadline.Check(text);
        costs.CheckCall(receiver, new Arguments(s0, s1, s2, s3, i0, i1, comparison), text);
    }

    /// <summary>The same checks for a call resolved at run time (a dynamic receiver).</summary>
    public void CheckCall(object? receiver, object?[] args, string text)
    {
        string? S(int nth) => nth < _strings.Length ? args[_strings[nth]] as string : null;
        int I(int nth) => nth < _integers.Length && args[_integers[nth]] is int value ? value : 0;
        CheckCall(receiver, new Arguments(S(0), S(1), S(2), S(3), I(0), I(1), _comparison >= 0 && args[_comparison] is StringComparison c ? (int)c : -1), text);
    }

    private readonly record struct Arguments(string? S0, string? S1, string? S2, string? S3, int I0, int I1, int Comparison);

    /// <summary><c>a + b</c> on strings, when the result stays within <see cref="ExpressionLimits.MaxResultLength"/>.</summary>
    public static string Concat(string? left, string? right, string text)
    {
        EvaluationDeadline.Check(text);
        Result((long)(left?.Length ?? 0) + (right?.Length ?? 0), text);
        return string.Concat(left, right);
    }

    private void CheckCall(object? receiver, Arguments args, string text)
    {
        if (receiver is StringBuilder builder)
        {
            // ToString() copies the whole builder; ToString(start, length) copies length characters.
            Result(_integers.Length == 2 ? Integer(args, 1) : builder.Length, text);
            return;
        }
        if (receiver is not null and not string && _name == "ToString")
        {
            Format(String(args, 0), text);
            return;
        }
        if (receiver is ICollection collection)
        {
            if (collection.Count > ExpressionLimits.MaxCollectionScan)
            {
                throw new ExpressionRuntimeException("'" + ExpressionLimits.Abbreviate(text) + "' would search " + Number(collection.Count) + " items; expressions search at most "
                                                     + Number(ExpressionLimits.MaxCollectionScan));
            }
            return;
        }
        if (!_onString)
        {
            return;
        }
        var s = receiver as string;
        Input(s, text);
        long total = 0;
        for (var i = 0; i < Math.Min(4, _strings.Length); i++)
        {
            var argument = String(args, i);
            Input(argument, text);
            total += argument?.Length ?? 0;
        }
        var n = (long)(s?.Length ?? 0);
        switch (_name)
        {
            case "Contains":
            case "IndexOf":
            case "LastIndexOf":
                if (String(args, 0) is { } needle) Search(n, needle.Length, text);
                break;
            case "Split":
                if (String(args, 0) is { } separator) Search(n, separator.Length, text);
                Result(n, text); // the pieces hold at most the receiver's characters
                break;
            case "Replace":
                if (String(args, 0) is { } old)
                {
                    var m = Math.Max(1, old.Length);
                    var r = (long)(String(args, 1)?.Length ?? 0);
                    Search(n, m, text);
                    // Ordinal matches are as long as the old value; a culture-sensitive one may be shorter (ignorable characters).
                    var ordinal = args.Comparison is -1 or (int)StringComparison.Ordinal or (int)StringComparison.OrdinalIgnoreCase;
                    Result(ordinal ? (r <= m ? n : n + n / m * (r - m)) : n + (n + 1) * r, text);
                }
                else
                {
                    Result(n, text); // Replace(char, char)
                }
                break;
            case "PadLeft":
            case "PadRight":
                Result(Math.Max(n, Integer(args, 0)), text);
                break;
            case "Substring":
                Result(_integers.Length == 2 ? Integer(args, 1) : n - Integer(args, 0), text);
                break;
            case "Remove":
                Result(_integers.Length == 2 ? n - Integer(args, 1) : Integer(args, 0), text);
                break;
            case "Insert":
            case "Concat":
                Result(n + total, text);
                break;
            case "ToUpper":
            case "ToLower":
            case "ToUpperInvariant":
            case "ToLowerInvariant":
            case "Trim":
            case "TrimStart":
            case "TrimEnd":
                Result(n, text);
                break;
        }
    }

    private static string? String(Arguments args, int nth) => nth switch { 0 => args.S0, 1 => args.S1, 2 => args.S2, 3 => args.S3, _ => null };

    private static long Integer(Arguments args, int nth) => nth == 0 ? args.I0 : args.I1;

    private static void Input(string? s, string text)
    {
        if (s != null && s.Length > ExpressionLimits.MaxInputLength)
        {
            throw new ExpressionRuntimeException("'" + ExpressionLimits.Abbreviate(text) + "' would read a string of " + Number(s.Length) + " characters; string methods in expressions read at most "
                                                 + Number(ExpressionLimits.MaxInputLength));
        }
    }

    private static void Result(long length, string text)
    {
        if (length > ExpressionLimits.MaxResultLength)
        {
            throw new ExpressionRuntimeException("'" + ExpressionLimits.Abbreviate(text) + "' could create a string of " + Number(length) + " characters; expressions create at most "
                                                 + Number(ExpressionLimits.MaxResultLength));
        }
    }

    // Worst case of a substring search: every start position compared over the needle's length.
    private static void Search(long haystack, long needle, string text)
    {
        if (needle == 0 || needle > haystack)
        {
            return;
        }
        if ((haystack - needle + 1) * needle > ExpressionLimits.MaxSearchWork)
        {
            throw new ExpressionRuntimeException("'" + ExpressionLimits.Abbreviate(text) + "' would search " + Number(haystack) + " characters for " + Number(needle)
                                                 + " characters; expressions search at most " + Number(ExpressionLimits.MaxSearchWork) + " character comparisons");
        }
    }

    // ToString(format) of a number, date or other framework value: the output grows with the format and with a
    // standard format's precision ("D999999999" would write a billion digits).
    private static void Format(string? format, string text)
    {
        if (format is null)
        {
            return;
        }
        const int maxFormat = 256;
        if (format.Length > maxFormat)
        {
            throw new ExpressionRuntimeException("'" + ExpressionLimits.Abbreviate(text) + "' has a format of " + Number(format.Length) + " characters; expressions allow at most " + maxFormat);
        }
        if (format.Length > 1 && char.IsAsciiLetter(format[0]) && long.TryParse(format.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var precision))
        {
            Result(precision + 64, text);
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
