using System.Reflection;
using System.Text;
using Deep.Agent.Capture;
using E = System.Linq.Expressions.Expression;
using LinqExpression = System.Linq.Expressions.Expression;

using Deep.Tracepoints.Expressions;

namespace Deep.Agent.Expressions;

/// <summary>
/// Gives meaning to what the parser reads: resolves members, methods, indexers and operators with C# rules, and
/// refuses anything that could run application code or have a side effect.
/// </summary>
internal sealed class Binder
{
    private const string NotAllowedSuffix = " is not allowed in expressions: only pure framework members are";
    private static readonly ConstructorInfo RuntimeErrorCtor = typeof(ExpressionRuntimeException).GetConstructor([typeof(string)])!;

    /// <summary>Set when the expression calls something whose cost grows with its input (string methods, collection searches, dynamic calls): only those are timed.</summary>
    public bool MayBeSlow { get; private set; }

    // ---------------------------------------------------------------- fields

    /// <summary>An instance field named <paramref name="name"/>, or the backing field of auto-property <paramref name="name"/>, on the type or a base type.</summary>
    public static FieldInfo? FindField(Type type, string name)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        for (var t = type; t != null && t != typeof(object); t = t.BaseType)
        {
            var field = t.GetField(name, flags) ?? t.GetField("<" + name + ">k__BackingField", flags) ?? t.GetField("<" + name + ">i__Field", flags);
            if (field != null)
            {
                return field;
            }
        }
        return null;
    }

    public static LinqExpression Value(Operand operand)
    {
        if (operand.Expression == null)
        {
            throw new ExpressionSyntaxException("'" + operand.Text + "' is a type, not a value", operand.Position);
        }
        return operand.Expression;
    }

    /// <summary>The value, with a check that throws "'x' is null" before it is dereferenced.</summary>
    private static LinqExpression Guarded(Operand operand)
    {
        var e = Value(operand);
        if (e.Type.IsValueType || operand.KnownNotNull || e is System.Linq.Expressions.ConstantExpression { Value: not null })
        {
            return e;
        }
        var throwIfNull = E.Throw(E.New(RuntimeErrorCtor, E.Constant("'" + operand.Text + "' is null")), e.Type);
        if (e is System.Linq.Expressions.ParameterExpression)
        {
            return E.Condition(E.ReferenceEqual(e, E.Constant(null)), throwIfNull, e);
        }
        var temp = E.Variable(e.Type);
        return E.Block(e.Type, [temp], E.Assign(temp, e), E.Condition(E.ReferenceEqual(temp, E.Constant(null)), throwIfNull, temp));
    }

    // ---------------------------------------------------------------- members

    public Operand Member(Operand receiver, string name, int position, string text)
    {
        if (receiver.TypeName != null)
        {
            return StaticMember(receiver.TypeName, name, position, text);
        }
        var e = Value(receiver);
        if (receiver.IsNullLiteral)
        {
            throw new ExpressionSyntaxException("'null' has no members", position);
        }
        var type = e.Type;
        if (type == typeof(object))
        {
            return new Operand(E.Call(RuntimeOps.GetMemberMethod, e, E.Constant(name), E.Constant(receiver.Text)), text, position);
        }
        var property = PureMembers.Property(type, name);
        if (property != null)
        {
            var target = Guarded(receiver);
            if (property.DeclaringType != type && !property.DeclaringType!.IsInterface)
            {
                target = E.Convert(target, property.DeclaringType);
            }
            return new Operand(E.Property(target, property), text, position);
        }
        var field = FindField(type, name);
        if (field != null)
        {
            return new Operand(E.Field(Guarded(receiver), field), text, position);
        }
        var declared = FindProperty(type, name);
        if (declared != null && !type.IsInterface && declared.GetMethod is { IsAbstract: false })
        {
            throw new ExpressionSyntaxException("property '" + name + "' of " + CSharpTypeNames.Of(type) + " is not an auto-property: expressions read fields and auto-properties, and never run a getter", position);
        }
        if (type.IsSealed || type.IsValueType || type.IsArray)
        {
            throw new ExpressionSyntaxException(CSharpTypeNames.Of(type) + " has no field or auto-property '" + name + "'", position);
        }
        // Not on the static type: it may be on the runtime type (a subclass, an interface's implementation).
        return new Operand(E.Call(RuntimeOps.GetMemberMethod, E.Convert(e, typeof(object)), E.Constant(name), E.Constant(receiver.Text)), text, position);
    }

    private static PropertyInfo? FindProperty(Type type, string name)
    {
        try
        {
            return type.GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        }
        catch (AmbiguousMatchException)
        {
            return type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).First(p => p.Name == name);
        }
    }

    public static Operand StaticMember(Type type, string name, int position, string text)
    {
        var nested = type.GetNestedType(name, BindingFlags.Public | BindingFlags.NonPublic);
        if (nested != null)
        {
            return new Operand(nested, text, position);
        }
        const BindingFlags flags = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.FlattenHierarchy;
        var field = type.GetField(name, flags) ?? type.GetField("<" + name + ">k__BackingField", flags);
        if (field != null)
        {
            if (field.IsLiteral)
            {
                var raw = field.GetRawConstantValue();
                var value = field.FieldType.IsEnum ? Enum.ToObject(field.FieldType, raw!) : raw;
                return new Operand(E.Constant(value, field.FieldType), text, position);
            }
            // Reading a static field runs the type's static constructor if it has not run: only framework types
            // (whose constructors are the runtime's business) and types without one are read.
            if (FrameworkTypes.IsFramework(field.DeclaringType!) || field.DeclaringType!.TypeInitializer == null)
            {
                return new Operand(E.Field(null, field), text, position);
            }
            throw new ExpressionSyntaxException("static field '" + name + "' of " + CSharpTypeNames.Of(type) + " is not allowed in expressions: reading it could run the type's static constructor", position);
        }
        var property = PureMembers.StaticProperty(type, name);
        if (property != null)
        {
            return new Operand(E.Property(null, property), text, position);
        }
        if (type.GetProperty(name, flags) != null)
        {
            throw new ExpressionSyntaxException("static property '" + name + "' of " + CSharpTypeNames.Of(type) + NotAllowedSuffix, position);
        }
        throw new ExpressionSyntaxException(CSharpTypeNames.Of(type) + " has no constant or static field '" + name + "'", position);
    }

    // ---------------------------------------------------------------- calls

    public Operand Call(Operand receiver, string name, List<Operand> args, int position, string text)
    {
        if (receiver.TypeName != null)
        {
            return StaticCall(receiver.TypeName, name, args, position, text);
        }
        var e = Value(receiver);
        if (receiver.IsDynamic)
        {
            if (!PureMembers.MethodNames.Contains(name))
            {
                throw new ExpressionSyntaxException("method '" + name + "'" + NotAllowedSuffix, position);
            }
            MayBeSlow = true; // and RuntimeOps.Invoke applies CallCosts once it knows the method
            var boxed = args.Select(a => (LinqExpression)E.Convert(Value(a), typeof(object)));
            return new Operand(E.Call(RuntimeOps.InvokeMethod, e, E.Constant(name), E.NewArrayInit(typeof(object), boxed), E.Constant(receiver.Text)), text, position);
        }
        var type = e.Type;
        if (!PureMembers.InstanceMethodAllowed(type, name))
        {
            throw new ExpressionSyntaxException("method '" + name + "'" + NotAllowedSuffix, position);
        }
        var owner = PureMembers.MethodOwner(type);
        var candidates = owner.GetMethods(BindingFlags.Instance | BindingFlags.Public).Where(m => m.Name == name);
        var (method, converted) = ResolveOverload(candidates, args, owner, name, position);
        LinqExpression target = Guarded(receiver);
        if (owner != type)
        {
            target = E.Convert(target, owner);
        }
        if (PureMembers.ComparerProperty(type) != null && !type.IsValueType)
        {
            target = E.Call(RuntimeOps.CheckComparerMethod.MakeGenericMethod(target.Type), target, E.Constant(receiver.Text));
        }
        if (type == typeof(string) || PureMembers.CollectionDefinition(type) != null || converted.Any(c => c.Type == typeof(string)))
        {
            MayBeSlow = true;
        }
        return new Operand(CostChecked(target, method, converted, text), text, position);
    }

    /// <summary>
    /// The call, preceded (when its cost grows with its input or arguments) by <see cref="CallCosts.Check"/> on the
    /// evaluated receiver and arguments, so it is refused before it runs rather than measured after.
    /// </summary>
    private LinqExpression CostChecked(LinqExpression? target, MethodInfo method, List<LinqExpression> args, string text)
    {
        var costs = CallCosts.For(method);
        if (costs == null)
        {
            return target == null ? E.Call(method, args) : E.Call(target, method, args);
        }
        MayBeSlow = true;
        var temps = new List<System.Linq.Expressions.ParameterExpression>();
        var body = new List<LinqExpression>();
        System.Linq.Expressions.ParameterExpression? receiver = null;
        if (target != null)
        {
            receiver = E.Variable(target.Type, "receiver");
            temps.Add(receiver);
            body.Add(E.Assign(receiver, target));
        }
        var values = new List<LinqExpression>();
        foreach (var arg in args)
        {
            var temp = E.Variable(arg.Type, "argument");
            temps.Add(temp);
            body.Add(E.Assign(temp, arg));
            values.Add(temp);
        }
        LinqExpression StringArgument(int nth) => nth < costs.StringParameters.Count ? values[costs.StringParameters[nth]] : E.Constant(null, typeof(string));
        LinqExpression IntegerArgument(int nth) => nth < costs.IntegerParameters.Count ? values[costs.IntegerParameters[nth]] : E.Constant(0);
        body.Add(E.Call(CallCosts.CheckMethod, E.Constant(costs), receiver == null ? E.Constant(null) : Boxed(receiver),
            StringArgument(0), StringArgument(1), StringArgument(2), StringArgument(3), IntegerArgument(0), IntegerArgument(1),
            costs.ComparisonParameter >= 0 ? E.Convert(values[costs.ComparisonParameter], typeof(int)) : E.Constant(-1), E.Constant(text)));
        body.Add(receiver == null ? E.Call(method, values) : E.Call(receiver, method, values));
        return E.Block(method.ReturnType, temps, body);
    }

    public Operand StaticCall(Type type, string name, List<Operand> args, int position, string text)
    {
        if (!PureMembers.StaticMethodAllowed(type, name))
        {
            throw new ExpressionSyntaxException("method '" + name + "'" + NotAllowedSuffix, position);
        }
        var candidates = type.GetMethods(BindingFlags.Static | BindingFlags.Public).Where(m => m.Name == name);
        var (method, converted) = ResolveOverload(candidates, args, type, name, position);
        if (converted.Any(c => c.Type == typeof(string)))
        {
            MayBeSlow = true;
        }
        return new Operand(CostChecked(null, method, converted, text), text, position);
    }

    // Parameters of these types cannot carry application code into a framework method (no object, interface,
    // delegate or span parameters: object could reach a ToString, an interface an application implementation).
    internal static bool SafeParameter(Type type) =>
        !type.IsByRef && !type.IsPointer && FrameworkTypes.HasFrameworkEquality(type);

    private static (MethodInfo Method, List<LinqExpression> Args) ResolveOverload(IEnumerable<MethodInfo> candidates, List<Operand> args, Type owner, string name, int position)
    {
        MethodInfo? best = null;
        List<LinqExpression>? bestArgs = null;
        var bestScore = int.MaxValue;
        foreach (var method in candidates)
        {
            if (method.IsGenericMethodDefinition)
            {
                continue;
            }
            var parameters = method.GetParameters();
            if (parameters.Length != args.Count || parameters.Any(p => !SafeParameter(p.ParameterType) || p.IsOut))
            {
                continue;
            }
            var score = 0;
            var converted = new List<LinqExpression>();
            for (var i = 0; i < parameters.Length; i++)
            {
                var (conversion, cost) = ImplicitConversion(args[i], parameters[i].ParameterType);
                if (conversion == null)
                {
                    score = -1;
                    break;
                }
                score += cost;
                converted.Add(conversion);
            }
            if (score >= 0 && score < bestScore)
            {
                best = method;
                bestArgs = converted;
                bestScore = score;
            }
        }
        if (best == null)
        {
            var types = string.Join(", ", args.Select(a => a.IsNullLiteral ? "null" : a.Expression != null ? CSharpTypeNames.Of(a.Expression.Type) : a.Text));
            throw new ExpressionSyntaxException("no allowed overload of " + CSharpTypeNames.Of(owner) + "." + name + " takes (" + types + ")", position);
        }
        return (best, bestArgs!);
    }

    // ---------------------------------------------------------------- conversions

    private static readonly Dictionary<Type, Type[]> ImplicitNumeric = new()
    {
        [typeof(sbyte)] = [typeof(short), typeof(int), typeof(long), typeof(float), typeof(double), typeof(decimal)],
        [typeof(byte)] = [typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal)],
        [typeof(short)] = [typeof(int), typeof(long), typeof(float), typeof(double), typeof(decimal)],
        [typeof(ushort)] = [typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal)],
        [typeof(int)] = [typeof(long), typeof(float), typeof(double), typeof(decimal)],
        [typeof(uint)] = [typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal)],
        [typeof(long)] = [typeof(float), typeof(double), typeof(decimal)],
        [typeof(ulong)] = [typeof(float), typeof(double), typeof(decimal)],
        [typeof(char)] = [typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal)],
        [typeof(float)] = [typeof(double)],
    };

    private static bool IsImplicitNumeric(Type from, Type to) =>
        from == to || (ImplicitNumeric.TryGetValue(from, out var targets) && Array.IndexOf(targets, to) >= 0);

    /// <summary>The C# implicit conversion of an operand to <paramref name="target"/> and its cost (0 = identity), or null.</summary>
    public static (LinqExpression? Expression, int Cost) ImplicitConversion(Operand operand, Type target)
    {
        if (operand.IsNullLiteral)
        {
            return !target.IsValueType || Nullable.GetUnderlyingType(target) != null ? (E.Constant(null, target), 1) : (null, 0);
        }
        var e = Value(operand);
        var source = e.Type;
        if (source == target)
        {
            return (e, 0);
        }
        if (operand.IsDynamic)
        {
            return (E.Convert(E.Call(RuntimeOps.ConvertMethod, e, E.Constant(target, typeof(Type)), E.Constant(operand.Text)), target), 50);
        }
        var targetUnder = Nullable.GetUnderlyingType(target);
        var sourceUnder = Nullable.GetUnderlyingType(source);
        if (targetUnder != null)
        {
            var from = sourceUnder ?? source;
            if (IsImplicitNumeric(from, targetUnder))
            {
                return (E.Convert(e, target), 2 + NumericRank(targetUnder));
            }
            return (null, 0);
        }
        if (sourceUnder == null && IsImplicitNumeric(source, target))
        {
            return (E.Convert(e, target), 2 + NumericRank(target));
        }
        // C#: a constant int converts implicitly to a smaller integral type when it fits.
        if (e is System.Linq.Expressions.ConstantExpression { Value: int constant } && RuntimeOps.IsNumeric(target) && target != typeof(char))
        {
            try
            {
                var narrowed = System.Convert.ChangeType(constant, target, System.Globalization.CultureInfo.InvariantCulture);
                if (constant >= 0 || target is { } t && (t == typeof(sbyte) || t == typeof(short)))
                {
                    return (E.Constant(narrowed, target), 3);
                }
            }
            catch (OverflowException)
            {
                return (null, 0);
            }
        }
        if (!target.IsValueType && target.IsAssignableFrom(source))
        {
            return (E.Convert(e, target), 10);
        }
        return (null, 0);
    }

    private static int NumericRank(Type t) =>
        t == typeof(short) || t == typeof(ushort) ? 1 : t == typeof(int) ? 2 : t == typeof(uint) ? 3 : t == typeof(long) ? 4
        : t == typeof(ulong) ? 5 : t == typeof(float) ? 6 : t == typeof(double) ? 7 : t == typeof(decimal) ? 8 : 0;

    public static Operand Cast(Type target, Operand operand, int position, string text)
    {
        if (operand.IsNullLiteral)
        {
            if (target.IsValueType && Nullable.GetUnderlyingType(target) == null)
            {
                throw new ExpressionSyntaxException("cannot convert null to " + CSharpTypeNames.Of(target), position);
            }
            return new Operand(E.Constant(null, target), text, position) { IsNullLiteral = false };
        }
        var e = Value(operand);
        var source = e.Type;
        if (source == target)
        {
            return new Operand(e, text, position);
        }
        if (operand.IsDynamic)
        {
            return new Operand(E.Convert(E.Call(RuntimeOps.ConvertMethod, e, E.Constant(target, typeof(Type)), E.Constant(operand.Text)), target), text, position);
        }
        var s = Nullable.GetUnderlyingType(source) ?? source;
        var t = Nullable.GetUnderlyingType(target) ?? target;
        var numericLike = (RuntimeOps.IsNumeric(s) || s.IsEnum) && (RuntimeOps.IsNumeric(t) || t.IsEnum);
        var reference = !source.IsValueType && !target.IsValueType && (target.IsAssignableFrom(source) || source.IsAssignableFrom(target) || target.IsInterface || source.IsInterface);
        var boxing = source.IsValueType && !target.IsValueType && target.IsAssignableFrom(source);
        var unboxing = !source.IsValueType && target.IsValueType && source.IsAssignableFrom(target);
        if (numericLike || reference || boxing || unboxing || (s == t))
        {
            return new Operand(E.Convert(e, target), text, position);
        }
        throw new ExpressionSyntaxException("cannot cast " + CSharpTypeNames.Of(source) + " to " + CSharpTypeNames.Of(target), position);
    }

    // ---------------------------------------------------------------- indexers

    public Operand Index(Operand receiver, List<Operand> args, int position, string text)
    {
        var e = Value(receiver);
        var type = e.Type;
        if (args.Count == 0)
        {
            throw new ExpressionSyntaxException("an indexer needs an argument", position);
        }
        if (type.IsArray)
        {
            var indexes = args.Select(a => ToIndex(a, position)).ToList();
            if (indexes.Count != type.GetArrayRank())
            {
                throw new ExpressionSyntaxException("wrong number of indices: " + CSharpTypeNames.Of(type) + " has rank " + type.GetArrayRank(), position);
            }
            var array = Guarded(receiver);
            return new Operand(indexes.Count == 1 ? E.ArrayIndex(array, indexes[0]) : E.ArrayAccess(array, indexes), text, position);
        }
        if (args.Count != 1)
        {
            throw new ExpressionSyntaxException("only arrays take several indices", position);
        }
        if (type == typeof(string))
        {
            return new Operand(E.Property(Guarded(receiver), typeof(string).GetProperty("Chars")!, ToIndex(args[0], position)), text, position);
        }
        var collection = PureMembers.CollectionDefinition(type);
        if (collection != null && !type.IsValueType)
        {
            var definition = collection.GetGenericTypeDefinition();
            var typeArgs = collection.GetGenericArguments();
            var item = collection.GetProperty("Item", BindingFlags.Instance | BindingFlags.Public);
            if (item != null && (definition == typeof(List<>) || definition == typeof(System.Collections.Immutable.ImmutableList<>)))
            {
                return new Operand(E.Property(E.Convert(Guarded(receiver), collection), item, ToIndex(args[0], position)), text, position);
            }
            if (item != null && typeArgs.Length == 2 && item.GetIndexParameters() is [{ } keyParameter] && keyParameter.ParameterType == typeArgs[0])
            {
                if (!FrameworkTypes.HasFrameworkEquality(typeArgs[0]))
                {
                    throw new ExpressionSyntaxException("indexer of " + CSharpTypeNames.Of(type) + " is not allowed in expressions: its keys would be compared by application code", position);
                }
                var (key, _) = ImplicitConversion(args[0], typeArgs[0]);
                if (key == null)
                {
                    throw new ExpressionSyntaxException("the key of " + CSharpTypeNames.Of(type) + " is a " + CSharpTypeNames.Of(typeArgs[0]), args[0].Position);
                }
                LinqExpression target = E.Call(RuntimeOps.CheckComparerMethod.MakeGenericMethod(collection), E.Convert(Guarded(receiver), collection), E.Constant(receiver.Text));
                return new Operand(E.Property(target, item, key), text, position);
            }
        }
        // Interfaces (IList<T>, IDictionary<K,V>, IReadOnlyList<T>...) and object: the runtime type decides, and only
        // framework collections are indexed (an application's indexer is code).
        var itemType = ElementTypeOf(type);
        LinqExpression call = E.Call(RuntimeOps.IndexMethod, E.Convert(e, typeof(object)), E.Convert(Value(args[0]), typeof(object)), E.Constant(receiver.Text));
        if (itemType != typeof(object))
        {
            call = E.Convert(call, itemType);
        }
        return new Operand(call, text, position);
    }

    private static Type ElementTypeOf(Type type)
    {
        foreach (var i in type.IsInterface ? type.GetInterfaces().Append(type) : type.GetInterfaces())
        {
            if (!i.IsGenericType) continue;
            var d = i.GetGenericTypeDefinition();
            if (d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>)) return i.GetGenericArguments()[1];
        }
        foreach (var i in type.IsInterface ? type.GetInterfaces().Append(type) : type.GetInterfaces())
        {
            if (!i.IsGenericType) continue;
            var d = i.GetGenericTypeDefinition();
            if (d == typeof(IList<>) || d == typeof(IReadOnlyList<>)) return i.GetGenericArguments()[0];
        }
        return typeof(object);
    }

    private static LinqExpression ToIndex(Operand index, int position)
    {
        if (index.IsDynamic)
        {
            return E.Convert(E.Call(RuntimeOps.ConvertMethod, Value(index), E.Constant(typeof(int), typeof(Type)), E.Constant(index.Text)), typeof(int));
        }
        var (converted, _) = ImplicitConversion(index, typeof(int));
        if (converted != null)
        {
            return converted;
        }
        var type = Value(index).Type;
        if (type == typeof(long) || type == typeof(uint) || type == typeof(ulong))
        {
            return E.ConvertChecked(Value(index), typeof(int));
        }
        throw new ExpressionSyntaxException("an index must be an integer, not " + CSharpTypeNames.Of(type), position);
    }

    // ---------------------------------------------------------------- operators

    private static LinqExpression Boxed(LinqExpression e) => e.Type == typeof(object) ? e : E.Convert(e, typeof(object));

    private static LinqExpression AsBool(Operand operand, string op)
    {
        var e = Value(operand);
        if (e.Type == typeof(bool))
        {
            return e;
        }
        if (operand.IsDynamic)
        {
            return E.Call(RuntimeOps.ToBoolMethod, e, E.Constant(operand.Text));
        }
        throw new ExpressionSyntaxException("operator '" + op + "' needs a bool, but '" + operand.Text + "' is a " + CSharpTypeNames.Of(e.Type), operand.Position);
    }

    public Operand Unary(string op, Operand operand, int position, string text)
    {
        var e = Value(operand);
        if (op == "!")
        {
            if (e.Type == typeof(bool?))
            {
                return new Operand(E.Not(e), text, position);
            }
            return new Operand(E.Not(AsBool(operand, op)), text, position);
        }
        if (operand.IsDynamic)
        {
            if (op == "-")
            {
                return new Operand(E.Call(RuntimeOps.NegateMethod, e, E.Constant(operand.Text)), text, position);
            }
            if (op == "+")
            {
                return operand;
            }
            throw new ExpressionSyntaxException("operator '" + op + "' cannot be applied to a value of unknown type; cast it first", position);
        }
        // -2147483648 and -9223372036854775808 are int.MinValue and long.MinValue in C#.
        if (op == "-" && e is System.Linq.Expressions.ConstantExpression { Value: 2147483648u })
        {
            return new Operand(E.Constant(int.MinValue), text, position);
        }
        if (op == "-" && e is System.Linq.Expressions.ConstantExpression { Value: 9223372036854775808ul })
        {
            return new Operand(E.Constant(long.MinValue), text, position);
        }
        var under = Nullable.GetUnderlyingType(e.Type) ?? e.Type;
        var nullable = under != e.Type;
        if (op == "~" && under.IsEnum)
        {
            var u = Enum.GetUnderlyingType(under);
            var uType = nullable ? typeof(Nullable<>).MakeGenericType(u) : u;
            return new Operand(E.Convert(E.OnesComplement(E.Convert(e, uType)), e.Type), text, position);
        }
        if (!RuntimeOps.IsNumeric(under) || (op == "~" && (under == typeof(float) || under == typeof(double) || under == typeof(decimal))))
        {
            throw new ExpressionSyntaxException("operator '" + op + "' cannot be applied to " + CSharpTypeNames.Of(e.Type), position);
        }
        var promoted = under == typeof(float) || under == typeof(double) || under == typeof(decimal) || under == typeof(long) || under == typeof(ulong) || under == typeof(int) || under == typeof(uint)
            ? under : typeof(int);
        if (op == "-" && promoted == typeof(uint)) promoted = typeof(long);
        if (op == "-" && promoted == typeof(ulong))
        {
            throw new ExpressionSyntaxException("operator '-' cannot be applied to ulong", position);
        }
        var target = nullable ? typeof(Nullable<>).MakeGenericType(promoted) : promoted;
        var converted = e.Type == target ? e : E.Convert(e, target);
        return op switch
        {
            "-" => new Operand(E.Negate(converted), text, position),
            "+" => new Operand(converted, text, position),
            _ => new Operand(E.OnesComplement(converted), text, position),
        };
    }

    public Operand IsNull(Operand operand, bool negate, int position, string text)
    {
        var e = Value(operand);
        LinqExpression test;
        if (operand.IsNullLiteral)
        {
            test = E.Constant(true);
        }
        else if (!e.Type.IsValueType)
        {
            test = E.ReferenceEqual(e, E.Constant(null, e.Type));
        }
        else if (Nullable.GetUnderlyingType(e.Type) != null)
        {
            test = E.Not(E.Property(e, "HasValue"));
        }
        else
        {
            test = E.Constant(false);
        }
        return new Operand(negate ? E.Not(test) : test, text, position);
    }

    public Operand Binary(string op, Operand left, Operand right, int position, string text)
    {
        switch (op)
        {
            case "&&":
                return new Operand(E.AndAlso(AsBool(left, op), AsBool(right, op)), text, position);
            case "||":
                return new Operand(E.OrElse(AsBool(left, op), AsBool(right, op)), text, position);
            case "==":
            case "!=":
                return new Operand(Equality(op, left, right, position), text, position);
            case "<":
            case "<=":
            case ">":
            case ">=":
                return new Operand(Comparison(op, left, right, position), text, position);
            default:
                return new Operand(Arithmetic(op, left, right, position), text, position);
        }
    }

    /// <summary>
    /// Both operands' values for <c>==</c>, <c>!=</c> or an ordering; when either is dynamic, the whole comparison
    /// instead, done at run time by <see cref="RuntimeOps"/> (named by its text in errors).
    /// </summary>
    private (LinqExpression Left, LinqExpression Right, LinqExpression? Dynamic) ComparisonOperands(string op, Operand left, Operand right)
    {
        var l = Value(left);
        var r = Value(right);
        if (!left.IsDynamic && !right.IsDynamic) return (l, r, null);
        return (l, r, E.Call(RuntimeOps.CompareMethod, E.Constant(op), Boxed(l), Boxed(r), E.Constant(left.Text + " " + op + " " + right.Text)));
    }

    private LinqExpression Equality(string op, Operand left, Operand right, int position)
    {
        var negate = op == "!=";
        if (left.IsNullLiteral || right.IsNullLiteral)
        {
            var other = left.IsNullLiteral ? right : left;
            var isNull = IsNull(other, negate, position, other.Text).Expression!;
            return isNull;
        }
        var (l, r, dynamic) = ComparisonOperands(op, left, right);
        if (dynamic is not null) return dynamic;
        var lu = Nullable.GetUnderlyingType(l.Type) ?? l.Type;
        var ru = Nullable.GetUnderlyingType(r.Type) ?? r.Type;
        // An enum compared with a string literal: the name is checked now, then compared as the enum value.
        if (lu.IsEnum && r is System.Linq.Expressions.ConstantExpression { Value: string rs })
        {
            r = EnumConstant(lu, rs, right.Position);
            ru = lu;
        }
        else if (ru.IsEnum && l is System.Linq.Expressions.ConstantExpression { Value: string ls })
        {
            l = EnumConstant(ru, ls, left.Position);
            lu = ru;
        }
        if (l.Type == typeof(string) && r.Type == typeof(string))
        {
            return negate ? E.NotEqual(l, r) : E.Equal(l, r);
        }
        if (lu.IsEnum || ru.IsEnum)
        {
            if (lu != ru)
            {
                throw new ExpressionSyntaxException("cannot compare " + CSharpTypeNames.Of(l.Type) + " with " + CSharpTypeNames.Of(r.Type), position);
            }
            var (cl, cr) = AsUnderlying(l, r, lu);
            return negate ? E.NotEqual(cl, cr) : E.Equal(cl, cr);
        }
        if (RuntimeOps.IsNumeric(lu) && RuntimeOps.IsNumeric(ru))
        {
            var (pl, pr) = Promote(l, r, position);
            return negate ? E.NotEqual(pl, pr) : E.Equal(pl, pr);
        }
        if (lu == typeof(bool) && ru == typeof(bool))
        {
            var (bl, br) = SameNullability(l, r);
            return negate ? E.NotEqual(bl, br) : E.Equal(bl, br);
        }
        if (lu == ru && lu.IsValueType && FrameworkTypes.HasFrameworkEquality(lu))
        {
            var (fl, fr) = SameNullability(l, r);
            return negate ? E.NotEqual(fl, fr) : E.Equal(fl, fr);
        }
        if (!l.Type.IsValueType && !r.Type.IsValueType && (l.Type.IsAssignableFrom(r.Type) || r.Type.IsAssignableFrom(l.Type) || l.Type.IsInterface || r.Type.IsInterface))
        {
            // Identity, never an application's operator == or Equals.
            return negate ? E.ReferenceNotEqual(l, r) : E.ReferenceEqual(l, r);
        }
        if (lu.IsValueType && !FrameworkTypes.IsFramework(lu))
        {
            throw new ExpressionSyntaxException("operator '" + op + "' of " + CSharpTypeNames.Of(lu) + " is not allowed in expressions: it would run application code", position);
        }
        throw new ExpressionSyntaxException("cannot compare " + CSharpTypeNames.Of(l.Type) + " with " + CSharpTypeNames.Of(r.Type), position);
    }

    private static LinqExpression EnumConstant(Type enumType, string name, int position)
    {
        if (!Enum.TryParse(enumType, name, ignoreCase: false, out var value) || !Enum.IsDefined(enumType, value!) && !name.Contains(',', StringComparison.Ordinal))
        {
            throw new ExpressionSyntaxException("'" + name + "' is not a value of " + CSharpTypeNames.Of(enumType), position);
        }
        return E.Constant(value, enumType);
    }

    private static (LinqExpression, LinqExpression) AsUnderlying(LinqExpression l, LinqExpression r, Type enumType)
    {
        var u = Enum.GetUnderlyingType(enumType);
        var nullable = Nullable.GetUnderlyingType(l.Type) != null || Nullable.GetUnderlyingType(r.Type) != null;
        var target = nullable ? typeof(Nullable<>).MakeGenericType(u) : u;
        return (E.Convert(l, target), E.Convert(r, target));
    }

    private static (LinqExpression, LinqExpression) SameNullability(LinqExpression l, LinqExpression r)
    {
        if (l.Type == r.Type) return (l, r);
        var nullable = Nullable.GetUnderlyingType(l.Type) != null ? l.Type : r.Type;
        return (l.Type == nullable ? l : E.Convert(l, nullable), r.Type == nullable ? r : E.Convert(r, nullable));
    }

    /// <summary>C# binary numeric promotion of two numeric (possibly nullable) operands.</summary>
    private static (LinqExpression, LinqExpression) Promote(LinqExpression l, LinqExpression r, int position)
    {
        var lu = Nullable.GetUnderlyingType(l.Type) ?? l.Type;
        var ru = Nullable.GetUnderlyingType(r.Type) ?? r.Type;
        var signed = (Type t) => t == typeof(sbyte) || t == typeof(short) || t == typeof(int) || t == typeof(long);
        var isConstNonNegative = (LinqExpression e) => e is System.Linq.Expressions.ConstantExpression { Value: int i and >= 0 } || e is System.Linq.Expressions.ConstantExpression { Value: long j and >= 0 };
        if ((lu == typeof(ulong) && signed(ru) && !isConstNonNegative(r)) || (ru == typeof(ulong) && signed(lu) && !isConstNonNegative(l)))
        {
            throw new ExpressionSyntaxException("operator is ambiguous on ulong and a signed type; cast one side", position);
        }
        if ((lu == typeof(decimal) && (ru == typeof(float) || ru == typeof(double))) || (ru == typeof(decimal) && (lu == typeof(float) || lu == typeof(double))))
        {
            throw new ExpressionSyntaxException("decimal cannot be mixed with float or double; cast one side", position);
        }
        var promoted = RuntimeOps.Promote(lu, ru);
        var nullable = lu != l.Type || ru != r.Type;
        var target = nullable ? typeof(Nullable<>).MakeGenericType(promoted) : promoted;
        return (l.Type == target ? l : E.Convert(l, target), r.Type == target ? r : E.Convert(r, target));
    }

    private LinqExpression Comparison(string op, Operand left, Operand right, int position)
    {
        if (left.IsNullLiteral || right.IsNullLiteral)
        {
            return E.Constant(false); // a lifted comparison with null is false
        }
        var (l, r, dynamic) = ComparisonOperands(op, left, right);
        if (dynamic is not null) return dynamic;
        var lu = Nullable.GetUnderlyingType(l.Type) ?? l.Type;
        var ru = Nullable.GetUnderlyingType(r.Type) ?? r.Type;
        if (lu.IsEnum && lu == ru)
        {
            var (el, er) = AsUnderlying(l, r, lu);
            (l, r) = (el, er);
        }
        else if (RuntimeOps.IsNumeric(lu) && RuntimeOps.IsNumeric(ru))
        {
            (l, r) = Promote(l, r, position);
        }
        else if (lu == ru && lu.IsValueType && FrameworkTypes.HasFrameworkEquality(lu) && lu != typeof(bool) && !lu.IsEnum && lu != typeof(Guid))
        {
            (l, r) = SameNullability(l, r); // DateTime, TimeSpan, ...: the framework's own operators
        }
        else if (lu == typeof(string) && ru == typeof(string))
        {
            throw new ExpressionSyntaxException("operator '" + op + "' cannot compare strings; use string.Compare(a, b) " + op + " 0", position);
        }
        else
        {
            throw new ExpressionSyntaxException("operator '" + op + "' cannot compare " + CSharpTypeNames.Of(l.Type) + " with " + CSharpTypeNames.Of(r.Type), position);
        }
        return op switch
        {
            "<" => E.LessThan(l, r),
            "<=" => E.LessThanOrEqual(l, r),
            ">" => E.GreaterThan(l, r),
            _ => E.GreaterThanOrEqual(l, r),
        };
    }

    private LinqExpression Arithmetic(string op, Operand left, Operand right, int position)
    {
        var l = Value(left);
        var r = Value(right);
        if (op == "+" && (l.Type == typeof(string) || r.Type == typeof(string)))
        {
            MayBeSlow = true;
            return E.Call(CallCosts.ConcatMethod, AsText(left), AsText(right), E.Constant(left.Text + " + " + right.Text));
        }
        if (left.IsDynamic || right.IsDynamic)
        {
            if (op is "&" or "|" or "^" or "<<" or ">>")
            {
                throw new ExpressionSyntaxException("operator '" + op + "' cannot be applied to a value of unknown type; cast it first", position);
            }
            MayBeSlow |= op == "+"; // it may concatenate strings
            return E.Call(RuntimeOps.BinaryMethod, E.Constant(op), Boxed(l), Boxed(r), E.Constant(left.Text + " " + op + " " + right.Text));
        }
        if (left.IsNullLiteral || right.IsNullLiteral)
        {
            throw new ExpressionSyntaxException("operator '" + op + "' cannot be applied to null", position);
        }
        var lu = Nullable.GetUnderlyingType(l.Type) ?? l.Type;
        var ru = Nullable.GetUnderlyingType(r.Type) ?? r.Type;
        if (op is "&" or "|" or "^")
        {
            if (lu == typeof(bool) && ru == typeof(bool))
            {
                var (bl, br) = SameNullability(l, r);
                return op == "&" ? E.And(bl, br) : op == "|" ? E.Or(bl, br) : E.ExclusiveOr(bl, br);
            }
            if (lu.IsEnum && lu == ru)
            {
                var (el, er) = AsUnderlying(l, r, lu);
                var combined = op == "&" ? E.And(el, er) : op == "|" ? E.Or(el, er) : E.ExclusiveOr(el, er);
                return E.Convert(combined, Nullable.GetUnderlyingType(el.Type) != null ? typeof(Nullable<>).MakeGenericType(lu) : lu);
            }
            if (IsIntegral(lu) && IsIntegral(ru))
            {
                var (pl, pr) = Promote(l, r, position);
                return op == "&" ? E.And(pl, pr) : op == "|" ? E.Or(pl, pr) : E.ExclusiveOr(pl, pr);
            }
            throw new ExpressionSyntaxException("operator '" + op + "' cannot be applied to " + CSharpTypeNames.Of(l.Type) + " and " + CSharpTypeNames.Of(r.Type), position);
        }
        if (op is "<<" or ">>")
        {
            if (!IsIntegral(lu) || !IsIntegral(ru))
            {
                throw new ExpressionSyntaxException("operator '" + op + "' needs integers", position);
            }
            var shifted = lu == typeof(long) || lu == typeof(ulong) || lu == typeof(uint) ? l : E.Convert(l, Nullable.GetUnderlyingType(l.Type) != null ? typeof(int?) : typeof(int));
            var count = E.Convert(r, Nullable.GetUnderlyingType(r.Type) != null ? typeof(int?) : typeof(int));
            var (sl, sc) = SameNullabilityForShift(shifted, count);
            return op == "<<" ? E.LeftShift(sl, sc) : E.RightShift(sl, sc);
        }
        if (RuntimeOps.IsNumeric(lu) && RuntimeOps.IsNumeric(ru))
        {
            var (pl, pr) = Promote(l, r, position);
            return op switch
            {
                "+" => E.Add(pl, pr),
                "-" => E.Subtract(pl, pr),
                "*" => E.Multiply(pl, pr),
                "/" => E.Divide(pl, pr),
                "%" => E.Modulo(pl, pr),
                _ => throw new ExpressionSyntaxException("unknown operator '" + op + "'", position),
            };
        }
        // DateTime - DateTime, DateTime + TimeSpan, TimeSpan * double...: the framework's own operators, nothing else.
        if (FrameworkTypes.HasFrameworkEquality(lu) && FrameworkTypes.HasFrameworkEquality(ru) && (lu.IsValueType && ru.IsValueType) && !lu.IsEnum && !ru.IsEnum)
        {
            try
            {
                return op switch
                {
                    "+" => E.Add(l, r),
                    "-" => E.Subtract(l, r),
                    "*" => E.Multiply(l, r),
                    "/" => E.Divide(l, r),
                    _ => E.Modulo(l, r),
                };
            }
            catch (InvalidOperationException)
            {
                // fall through to the error below
            }
        }
        throw new ExpressionSyntaxException("operator '" + op + "' cannot be applied to " + CSharpTypeNames.Of(l.Type) + " and " + CSharpTypeNames.Of(r.Type), position);
    }

    private static (LinqExpression, LinqExpression) SameNullabilityForShift(LinqExpression value, LinqExpression count)
    {
        var nullable = Nullable.GetUnderlyingType(value.Type) != null || Nullable.GetUnderlyingType(count.Type) != null;
        if (!nullable) return (value, count);
        var vt = Nullable.GetUnderlyingType(value.Type) ?? value.Type;
        return (E.Convert(value, typeof(Nullable<>).MakeGenericType(vt)), E.Convert(count, typeof(int?)));
    }

    private static bool IsIntegral(Type t) => RuntimeOps.IsNumeric(t) && t != typeof(float) && t != typeof(double) && t != typeof(decimal);

    private static readonly MethodInfo TextMethod = RuntimeOps.TextMethod;

    private static LinqExpression AsText(Operand operand)
    {
        if (operand.IsNullLiteral) return E.Constant(null, typeof(string));
        var e = Value(operand);
        if (e.Type == typeof(string)) return e;
        return E.Call(TextMethod, Boxed(e));
    }

    public Operand Conditional(Operand condition, Operand whenTrue, Operand whenFalse, int position, string text)
    {
        var test = AsBool(condition, "?:");
        var (t, f) = Unify(whenTrue, whenFalse, position);
        return new Operand(E.Condition(test, t, f), text, position);
    }

    private static (LinqExpression, LinqExpression) Unify(Operand a, Operand b, int position)
    {
        if (a.IsNullLiteral && b.IsNullLiteral)
        {
            return (E.Constant(null), E.Constant(null));
        }
        if (a.IsNullLiteral || b.IsNullLiteral)
        {
            var other = Value(a.IsNullLiteral ? b : a);
            var type = other.Type.IsValueType && Nullable.GetUnderlyingType(other.Type) == null ? typeof(Nullable<>).MakeGenericType(other.Type) : other.Type;
            var converted = other.Type == type ? other : E.Convert(other, type);
            return a.IsNullLiteral ? (E.Constant(null, type), converted) : (converted, E.Constant(null, type));
        }
        var x = Value(a);
        var y = Value(b);
        if (x.Type == y.Type)
        {
            return (x, y);
        }
        var xu = Nullable.GetUnderlyingType(x.Type) ?? x.Type;
        var yu = Nullable.GetUnderlyingType(y.Type) ?? y.Type;
        if (RuntimeOps.IsNumeric(xu) && RuntimeOps.IsNumeric(yu))
        {
            return Promote(x, y, position);
        }
        var (toY, _) = ImplicitConversion(a, y.Type);
        if (toY != null && !a.IsDynamic)
        {
            return (toY, y);
        }
        var (toX, _) = ImplicitConversion(b, x.Type);
        if (toX != null && !b.IsDynamic)
        {
            return (x, toX);
        }
        return (Boxed(x), Boxed(y));
    }

    public Operand Coalesce(Operand left, Operand right, int position, string text)
    {
        if (left.IsNullLiteral)
        {
            return right;
        }
        var l = Value(left);
        var under = Nullable.GetUnderlyingType(l.Type);
        if (l.Type.IsValueType && under == null)
        {
            throw new ExpressionSyntaxException("the left side of '??' is a " + CSharpTypeNames.Of(l.Type) + ", which is never null", position);
        }
        if (under != null)
        {
            var (asUnder, _) = ImplicitConversion(right, under);
            if (asUnder != null)
            {
                return new Operand(E.Coalesce(l, asUnder), text, position);
            }
            var (asNullable, _) = ImplicitConversion(right, l.Type);
            if (asNullable != null)
            {
                return new Operand(E.Coalesce(l, asNullable), text, position);
            }
            throw new ExpressionSyntaxException("'??' cannot combine " + CSharpTypeNames.Of(l.Type) + " with " + CSharpTypeNames.Of(Value(right).Type), position);
        }
        var (r, _) = ImplicitConversion(right, l.Type);
        if (r != null)
        {
            return new Operand(E.Coalesce(l, r), text, position);
        }
        var rv = Value(right);
        if (!rv.Type.IsValueType && rv.Type.IsAssignableFrom(l.Type))
        {
            return new Operand(E.Coalesce(E.Convert(l, rv.Type), rv), text, position);
        }
        return new Operand(E.Coalesce(Boxed(l), Boxed(rv)), text, position);
    }

    internal static string Describe(Type type)
    {
        var sb = new StringBuilder();
        sb.Append(CSharpTypeNames.Of(type));
        return sb.ToString();
    }
}
