using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Deep.Agent.Capture;

namespace Deep.Agent.Expressions;

/// <summary>
/// Helpers compiled expressions call at run time: null guards with readable messages, and the dynamic fallback
/// (member access, operators, indexers, method calls on a value whose static type does not tell, e.g. <c>object</c>).
/// The dynamic path keeps every rule of the static one: fields only, allow-listed framework members only.
/// </summary>
internal static class RuntimeOps
{
    private static readonly ConcurrentDictionary<(Type, string), Func<object, object?>?> Members = new();

    public static readonly MethodInfo NotNullMethod = typeof(RuntimeOps).GetMethod(nameof(NotNull))!;
    public static readonly MethodInfo GetMemberMethod = typeof(RuntimeOps).GetMethod(nameof(GetMember))!;
    public static readonly MethodInfo BinaryMethod = typeof(RuntimeOps).GetMethod(nameof(Binary))!;
    public static readonly MethodInfo CompareMethod = typeof(RuntimeOps).GetMethod(nameof(Compare))!;
    public static readonly MethodInfo ToBoolMethod = typeof(RuntimeOps).GetMethod(nameof(ToBool))!;
    public static readonly MethodInfo NegateMethod = typeof(RuntimeOps).GetMethod(nameof(Negate))!;
    public static readonly MethodInfo IndexMethod = typeof(RuntimeOps).GetMethod(nameof(Index))!;
    public static readonly MethodInfo InvokeMethod = typeof(RuntimeOps).GetMethod(nameof(Invoke))!;
    public static readonly MethodInfo TextMethod = typeof(RuntimeOps).GetMethod(nameof(Text))!;
    public static readonly MethodInfo ConvertMethod = typeof(RuntimeOps).GetMethod(nameof(ConvertTo))!;
    public static readonly MethodInfo CheckComparerMethod = typeof(RuntimeOps).GetMethod(nameof(CheckComparer))!;

    /// <summary>Returns <paramref name="value"/>, or throws "'order.Customer' is null" so the error names the culprit.</summary>
    public static T NotNull<T>(T value, string text) where T : class =>
        value ?? throw new ExpressionRuntimeException("'" + text + "' is null");

    /// <summary>Refuses a dictionary or set whose comparer is the application's (it would run application code).</summary>
    public static T CheckComparer<T>(T collection, string text) where T : class
    {
        var p = PureMembers.ComparerProperty(collection.GetType());
        var comparer = p?.GetValue(collection);
        if (comparer != null && !FrameworkTypes.IsFramework(comparer.GetType()))
        {
            throw new ExpressionRuntimeException("'" + text + "' uses the application's comparer " + CSharpTypeNames.Of(comparer.GetType()) + ", which expressions do not run");
        }
        return collection;
    }

    /// <summary>
    /// The text of a value as a captured variable shows it (used for <c>string + x</c>: no user <c>ToString</c>), at
    /// most <see cref="ExpressionLimits.MaxResultLength"/> characters long (a string is used as it is).
    /// </summary>
    public static string Text(object? value)
    {
        if (value is string s)
        {
            return s;
        }
        var text = ValueText.Format(value, ExpressionLimits.MaxResultLength, out var cut);
        return cut ? throw new ExpressionRuntimeException("the text of a " + CSharpTypeNames.Of(value!.GetType()) + " is longer than the "
                                                          + ExpressionLimits.MaxResultLength.ToString(CultureInfo.InvariantCulture) + " characters expressions create") : text;
    }

    /// <summary>Reads a field, auto-property or allowed framework property by name from the value's runtime type.</summary>
    public static object? GetMember(object? target, string name, string text)
    {
        EvaluationDeadline.Check(text);
        if (target == null)
        {
            throw new ExpressionRuntimeException("'" + text + "' is null");
        }
        var type = target.GetType();
        var reader = Members.GetOrAdd((type, name), static key => BuildReader(key.Item1, key.Item2));
        if (reader == null)
        {
            throw new ExpressionRuntimeException("'" + CSharpTypeNames.Of(type) + "' has no field or auto-property '" + name + "'");
        }
        return reader(target);
    }

    private static Func<object, object?>? BuildReader(Type type, string name)
    {
        var property = PureMembers.Property(type, name);
        if (property != null)
        {
            return o => property.GetValue(o);
        }
        var field = Binder.FindField(type, name);
        if (field == null)
        {
            return null;
        }
        // Compiled, not FieldInfo.GetValue: reflection would run the type's static constructor.
        var parameter = System.Linq.Expressions.Expression.Parameter(typeof(object), "target");
        var read = System.Linq.Expressions.Expression.Field(System.Linq.Expressions.Expression.Convert(parameter, type), field);
        return System.Linq.Expressions.Expression.Lambda<Func<object, object?>>(System.Linq.Expressions.Expression.Convert(read, typeof(object)), parameter).Compile();
    }

    /// <summary>Converts a dynamic value for a condition or a logical operator: only a boolean is accepted.</summary>
    public static bool ToBool(object? value, string text) => value switch
    {
        bool b => b,
        null => throw new ExpressionRuntimeException("'" + text + "' is null, not a boolean"),
        _ => throw new ExpressionRuntimeException("'" + text + "' is a " + CSharpTypeNames.Of(value.GetType()) + ", not a boolean"),
    };

    /// <summary>An explicit conversion of a dynamic value: numbers convert between numeric types, others must already be of the type.</summary>
    public static object? ConvertTo(object? value, Type target, string text)
    {
        if (value == null)
        {
            if (target.IsValueType && Nullable.GetUnderlyingType(target) == null)
            {
                throw new ExpressionRuntimeException("cannot convert null to " + CSharpTypeNames.Of(target));
            }
            return null;
        }
        var to = Nullable.GetUnderlyingType(target) ?? target;
        if (to.IsInstanceOfType(value))
        {
            return value;
        }
        if (IsNumeric(value.GetType()) && (IsNumeric(to) || to.IsEnum))
        {
            return to.IsEnum ? Enum.ToObject(to, value) : System.Convert.ChangeType(value, to, CultureInfo.InvariantCulture);
        }
        if (value.GetType().IsEnum && IsNumeric(to))
        {
            return System.Convert.ChangeType(value, to, CultureInfo.InvariantCulture);
        }
        throw new InvalidCastException("cannot convert '" + text + "' (" + CSharpTypeNames.Of(value.GetType()) + ") to " + CSharpTypeNames.Of(target));
    }

    /// <summary>Unary minus on a dynamic value.</summary>
    public static object? Negate(object? value, string text) => value switch
    {
        null => null,
        int i => -i,
        long l => -l,
        double d => -d,
        float f => -f,
        decimal m => -m,
        sbyte or byte or short or ushort or char => -System.Convert.ToInt32(value, CultureInfo.InvariantCulture),
        uint u => -(long)u,
        _ => throw new ExpressionRuntimeException("operator '-' cannot be applied to '" + text + "' (" + CSharpTypeNames.Of(value.GetType()) + ")"),
    };

    /// <summary>A comparison where at least one side is dynamic; C# rules on the runtime types.</summary>
    public static bool Compare(string op, object? left, object? right, string text)
    {
        EvaluationDeadline.Check(text);
        if (op is "==" or "!=")
        {
            var equal = DynamicEquals(left, right);
            return op == "==" ? equal : !equal;
        }
        if (left == null || right == null)
        {
            return false; // as a lifted comparison in C#: anything compared to null is false
        }
        var l = Unwrap(left);
        var r = Unwrap(right);
        int c;
        if (IsNumeric(l.GetType()) && IsNumeric(r.GetType()))
        {
            c = CompareNumbers(l, r);
        }
        else if (l.GetType() == r.GetType() && l is IComparable comparable && FrameworkTypes.HasFrameworkEquality(l.GetType()) && l is not string)
        {
            c = comparable.CompareTo(r);
        }
        else
        {
            throw new ExpressionRuntimeException("operator '" + op + "' cannot compare " + CSharpTypeNames.Of(left.GetType()) + " and " + CSharpTypeNames.Of(right.GetType()) + " in '" + text + "'");
        }
        return op switch
        {
            "<" => c < 0,
            "<=" => c <= 0,
            ">" => c > 0,
            ">=" => c >= 0,
            _ => throw new ExpressionRuntimeException("unknown comparison '" + op + "'"),
        };
    }

    /// <summary>Arithmetic where at least one side is dynamic; C# numeric promotion on the runtime types.</summary>
    public static object? Binary(string op, object? left, object? right, string text)
    {
        EvaluationDeadline.Check(text);
        if (op == "+" && (left is string || right is string))
        {
            return CallCosts.Concat(Text(left), Text(right), text);
        }
        if (left == null || right == null)
        {
            return null; // lifted arithmetic: null in, null out
        }
        var l = Unwrap(left);
        var r = Unwrap(right);
        if (!IsNumeric(l.GetType()) || !IsNumeric(r.GetType()))
        {
            throw new ExpressionRuntimeException("operator '" + op + "' cannot be applied to " + CSharpTypeNames.Of(left.GetType()) + " and " + CSharpTypeNames.Of(right.GetType()) + " in '" + text + "'");
        }
        var type = Promote(l.GetType(), r.GetType());
        var ci = CultureInfo.InvariantCulture;
        if (type == typeof(decimal))
        {
            var a = System.Convert.ToDecimal(l, ci);
            var b = System.Convert.ToDecimal(r, ci);
            return op switch { "+" => a + b, "-" => a - b, "*" => a * b, "/" => a / b, "%" => a % b, _ => Unsupported<decimal>(op) };
        }
        if (type == typeof(double) || type == typeof(float))
        {
            var a = System.Convert.ToDouble(l, ci);
            var b = System.Convert.ToDouble(r, ci);
            var d = op switch { "+" => a + b, "-" => a - b, "*" => a * b, "/" => a / b, "%" => a % b, _ => Unsupported<double>(op) };
            return type == typeof(float) ? (object)(float)d : d;
        }
        if (type == typeof(ulong))
        {
            var a = System.Convert.ToUInt64(l, ci);
            var b = System.Convert.ToUInt64(r, ci);
            return unchecked(op switch { "+" => a + b, "-" => a - b, "*" => a * b, "/" => a / b, "%" => a % b, _ => Unsupported<ulong>(op) });
        }
        if (type == typeof(long) || type == typeof(uint))
        {
            var a = System.Convert.ToInt64(l, ci);
            var b = System.Convert.ToInt64(r, ci);
            var v = unchecked(op switch { "+" => a + b, "-" => a - b, "*" => a * b, "/" => a / b, "%" => a % b, _ => Unsupported<long>(op) });
            return type == typeof(uint) ? (object)unchecked((uint)(long)v) : v;
        }
        var x = System.Convert.ToInt32(l, ci);
        var y = System.Convert.ToInt32(r, ci);
        return unchecked(op switch { "+" => x + y, "-" => x - y, "*" => x * y, "/" => x / y, "%" => x % y, _ => Unsupported<int>(op) });
    }

    private static T Unsupported<T>(string op) => throw new ExpressionRuntimeException("operator '" + op + "' is not supported on dynamic values");

    /// <summary>An indexer on a value whose static type does not allow a static binding: arrays, lists and framework dictionaries only.</summary>
    public static object? Index(object? target, object? key, string text)
    {
        EvaluationDeadline.Check(text);
        switch (target)
        {
            case null:
                throw new ExpressionRuntimeException("'" + text + "' is null");
            case string s:
                return s[ToIndex(key)];
            case Array array when array.Rank == 1:
                return array.GetValue(ToIndex(key));
        }
        var type = target.GetType();
        var collection = PureMembers.CollectionDefinition(type);
        if (collection != null)
        {
            var definition = collection.GetGenericTypeDefinition();
            var args = collection.GetGenericArguments();
            if (definition == typeof(List<>) || definition == typeof(System.Collections.Immutable.ImmutableList<>))
            {
                return ((IList)target)[ToIndex(key)];
            }
            if (args.Length == 2 && target is IDictionary dictionary && FrameworkTypes.HasFrameworkEquality(args[0]))
            {
                CheckComparer(target, text);
                var typedKey = ConvertTo(key, args[0], text);
                if (typedKey == null || !dictionary.Contains(typedKey))
                {
                    throw new ExpressionRuntimeException("key '" + Text(key) + "' is not in '" + text + "'");
                }
                return dictionary[typedKey];
            }
        }
        throw new ExpressionRuntimeException("indexer of " + CSharpTypeNames.Of(type) + " is not allowed in expressions: only arrays, List<T> and framework dictionaries with framework keys are");
    }

    /// <summary>An allowed method called on a dynamic receiver: resolved against its runtime type, with the static rules.</summary>
    public static object? Invoke(object? target, string name, object?[] args, string text)
    {
        EvaluationDeadline.Check(text);
        if (target == null)
        {
            throw new ExpressionRuntimeException("'" + text + "' is null");
        }
        var type = target.GetType();
        if (!PureMembers.InstanceMethodAllowed(type, name))
        {
            throw new ExpressionRuntimeException("method '" + name + "' is not allowed on " + CSharpTypeNames.Of(type) + ": only pure framework members are");
        }
        var argTypes = args.Select(a => a?.GetType() ?? typeof(object)).ToArray();
        var owner = PureMembers.MethodOwner(type);
        var method = owner.GetMethods(BindingFlags.Instance | BindingFlags.Public)
            // The static binder's rule too: no parameter through which application code could run (object, interfaces...).
            .Where(m => m.Name == name && !m.IsGenericMethodDefinition && m.GetParameters().Length == args.Length
                        && m.GetParameters().All(p => !p.IsOut && Binder.SafeParameter(p.ParameterType)))
            .FirstOrDefault(m => m.GetParameters().Select((p, i) => args[i] == null ? !p.ParameterType.IsValueType : p.ParameterType.IsAssignableFrom(argTypes[i])).All(ok => ok));
        if (method == null)
        {
            throw new ExpressionRuntimeException("no overload of '" + name + "' on " + CSharpTypeNames.Of(type) + " takes (" + string.Join(", ", argTypes.Select(CSharpTypeNames.Of)) + ")");
        }
        if (PureMembers.ComparerProperty(type) != null)
        {
            CheckComparer(target, text);
        }
        CallCosts.For(method)?.CheckCall(target, args, text);
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            throw e.InnerException;
        }
    }

    private static int ToIndex(object? key) => key switch
    {
        int i => i,
        null => throw new ExpressionRuntimeException("index is null"),
        _ when IsNumeric(key.GetType()) => System.Convert.ToInt32(key, CultureInfo.InvariantCulture),
        _ => throw new ExpressionRuntimeException("index must be a number, not " + CSharpTypeNames.Of(key.GetType())),
    };

    private static bool DynamicEquals(object? left, object? right)
    {
        if (left == null || right == null)
        {
            return left == null && right == null;
        }
        if (ReferenceEquals(left, right))
        {
            return true;
        }
        var l = Unwrap(left);
        var r = Unwrap(right);
        if (IsNumeric(l.GetType()) && IsNumeric(r.GetType()))
        {
            return CompareNumbers(l, r) == 0;
        }
        if (left is string ls && right is string rs)
        {
            return string.Equals(ls, rs, StringComparison.Ordinal);
        }
        if (left.GetType().IsEnum && right is string name)
        {
            return string.Equals(left.ToString(), name, StringComparison.Ordinal);
        }
        if (left.GetType() == right.GetType() && FrameworkTypes.HasFrameworkEquality(left.GetType()))
        {
            return left.Equals(right); // framework value types: their own Equals
        }
        return false; // reference types: identity only (a user Equals or operator == never runs)
    }

    // Enums compare by value with numbers only when explicitly cast; unwrap char to its code like C# does.
    private static object Unwrap(object value) => value is char c ? (int)c : value;

    private static int CompareNumbers(object l, object r)
    {
        var type = Promote(l.GetType(), r.GetType());
        var ci = CultureInfo.InvariantCulture;
        if (type == typeof(decimal)) return System.Convert.ToDecimal(l, ci).CompareTo(System.Convert.ToDecimal(r, ci));
        if (type == typeof(double) || type == typeof(float)) return System.Convert.ToDouble(l, ci).CompareTo(System.Convert.ToDouble(r, ci));
        if (type == typeof(ulong))
        {
            // A negative signed value is below every ulong.
            if (IsNegative(l)) return -1;
            if (IsNegative(r)) return 1;
            return System.Convert.ToUInt64(l, ci).CompareTo(System.Convert.ToUInt64(r, ci));
        }
        return System.Convert.ToInt64(l, ci).CompareTo(System.Convert.ToInt64(r, ci));
    }

    private static bool IsNegative(object v) => v switch
    {
        sbyte s => s < 0, short s => s < 0, int i => i < 0, long l => l < 0, _ => false,
    };

    public static bool IsNumeric(Type t) =>
        t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float) || t == typeof(decimal)
        || t == typeof(short) || t == typeof(byte) || t == typeof(sbyte) || t == typeof(ushort) || t == typeof(uint)
        || t == typeof(ulong) || t == typeof(char);

    /// <summary>C# binary numeric promotion (a signed/ulong mix goes to ulong at run time; statically it is an error).</summary>
    public static Type Promote(Type a, Type b)
    {
        if (a == typeof(decimal) || b == typeof(decimal)) return typeof(decimal);
        if (a == typeof(double) || b == typeof(double)) return typeof(double);
        if (a == typeof(float) || b == typeof(float)) return typeof(float);
        if (a == typeof(ulong) || b == typeof(ulong)) return typeof(ulong);
        if (a == typeof(long) || b == typeof(long)) return typeof(long);
        if (a == typeof(uint) || b == typeof(uint))
        {
            var other = a == typeof(uint) ? b : a;
            return other == typeof(sbyte) || other == typeof(short) || other == typeof(int) ? typeof(long) : typeof(uint);
        }
        return typeof(int);
    }
}
