using Deep.Tracepoints.Expressions;
using E = System.Linq.Expressions.Expression;
using LinqExpression = System.Linq.Expressions.Expression;

namespace Deep.Agent.Expressions;

/// <summary>
/// Walks an expression's syntax tree (from <see cref="Parser"/>) and gives it meaning through <see cref="Binder"/>:
/// names become the probe's variables, fields of <c>this</c> or types, and every node is bound with C# rules and the
/// safety refusals. Nodes are bound left to right, so the first problem reported is the first one in the text.
/// </summary>
internal sealed class SyntaxBinder
{
    // A namespace-qualified type name is looked up prefix by prefix in every application assembly: a namespace is not
    // 16 parts deep, a.b.c... may be.
    private const int MaxTypeNameParts = 16;

    private readonly ExpressionTree _tree;
    private readonly IExpressionScope _scope;
    private readonly System.Linq.Expressions.ParameterExpression _context;

    // The values of the receivers of the enclosing ?. / ?[ (innermost last).
    private readonly Stack<Operand> _conditionalReceivers = new();

    public SyntaxBinder(ExpressionTree tree, IExpressionScope scope, System.Linq.Expressions.ParameterExpression context)
    {
        _tree = tree;
        _scope = scope;
        _context = context;
    }

    public Binder Binder { get; } = new();

    public Operand Bind() => Bind(_tree.Root);

    private string Text(SyntaxNode node) => _tree.TextOf(node);

    private Operand Bind(SyntaxNode node)
    {
        // The tree's depth is bounded by the parser; a caller on a small stack still gets an error, never an overflow.
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ExpressionSyntaxException("the expression is nested too deeply for the stack of the thread compiling it", node.Position);
        }
        switch (node)
        {
            case LiteralSyntax { IsNull: true }:
                return new Operand(E.Constant(null, typeof(object)), "null", node.Position) { IsNullLiteral = true };
            case LiteralSyntax literal:
                return new Operand(E.Constant(literal.Value, literal.Value!.GetType()), Text(node), node.Position);
            case NameSyntax name:
                return BindName(name);
            case ParenthesizedSyntax parenthesized:
                var inner = Bind(parenthesized.Inner);
                return inner.Expression != null
                    ? new Operand(inner.Expression, Text(node), node.Position) { IsNullLiteral = inner.IsNullLiteral }
                    : inner;
            case UnarySyntax unary:
                // Binder.Unary folds "-literal" so -2147483648 is int.MinValue, as in C#.
                return Binder.Unary(unary.Operator, Bind(unary.Operand), node.Position, Text(node));
            case CastSyntax cast:
                return BindCast(cast);
            case BinarySyntax { Operator: "??" } coalesce:
            {
                var left = Bind(coalesce.Left);
                return Binder.Coalesce(left, Bind(coalesce.Right), node.Position, Text(node));
            }
            case BinarySyntax binary:
            {
                var left = Bind(binary.Left);
                return Binder.Binary(binary.Operator, left, Bind(binary.Right), node.Position, Text(node));
            }
            case IsNullSyntax isNull:
                return Binder.IsNull(Bind(isNull.Operand), isNull.Negated, node.Position, Text(node));
            case ConditionalSyntax conditional:
            {
                var condition = Bind(conditional.Condition);
                var whenTrue = Bind(conditional.WhenTrue);
                return Binder.Conditional(condition, whenTrue, Bind(conditional.WhenFalse), node.Position, Text(node));
            }
            case MemberAccessSyntax member:
                return BindMemberChain(member);
            case CallSyntax call:
            {
                var receiver = Bind(call.Receiver);
                return Binder.Call(receiver, call.Name, BindAll(call.Arguments), node.Position, Text(node));
            }
            case IndexSyntax index:
            {
                var receiver = Bind(index.Receiver);
                return Binder.Index(receiver, BindAll(index.Arguments), node.Position, Text(node));
            }
            case ConditionalAccessSyntax access:
                return BindConditionalAccess(access);
            case ConditionalReceiverSyntax:
                return _conditionalReceivers.Peek();
            default:
                throw new ExpressionSyntaxException("unsupported expression '" + Text(node) + "'", node.Position);
        }
    }

    private List<Operand> BindAll(IReadOnlyList<SyntaxNode> nodes)
    {
        var operands = new List<Operand>(nodes.Count);
        foreach (var node in nodes)
        {
            operands.Add(Bind(node));
        }
        return operands;
    }

    private LinqExpression? Variable(string name) => _scope.Resolve(name, _context);

    private Operand BindName(NameSyntax node)
    {
        var name = node.Name;
        var variable = Variable(name);
        if (variable != null)
        {
            return new Operand(variable, name, node.Position);
        }
        if (name == "this")
        {
            throw new ExpressionSyntaxException("'this' is not available here (a static method?)", node.Position);
        }
        // A field of 'this' may be named without 'this.', as in C#.
        var self = Variable("this");
        if (self != null && Binder.FindField(self.Type, name) != null)
        {
            return Binder.Member(new Operand(self, "this", node.Position), name, node.Position, name);
        }
        var type = TypeNameResolver.Resolve(name, node.Position);
        if (type != null)
        {
            return new Operand(type, name, node.Position);
        }
        throw new ExpressionSyntaxException("unknown name '" + name + "'", node.Position, ExpressionErrorKind.UnknownName);
    }

    /// <summary>
    /// <c>a.b.c</c>, bound link by link without recursion. When the chain starts with a name that is nothing else,
    /// its shortest prefix naming a type (<c>Shop.Orders.OrderStatus</c>, at most 16 parts) is that type; with none,
    /// the name is unknown.
    /// </summary>
    private Operand BindMemberChain(MemberAccessSyntax node)
    {
        var links = new List<MemberAccessSyntax> { node };
        var receiver = node.Receiver;
        while (receiver is MemberAccessSyntax inner)
        {
            links.Add(inner);
            receiver = inner.Receiver;
        }
        links.Reverse();
        Operand operand;
        var next = 0;
        if (receiver is NameSyntax root && !IsKnownName(root))
        {
            var dotted = root.Name;
            Type? type = null;
            for (; next < links.Count && next + 1 < MaxTypeNameParts && type == null; next++)
            {
                dotted += "." + links[next].Name;
                type = TypeNameResolver.Resolve(dotted, root.Position);
            }
            operand = type != null
                ? new Operand(type, dotted, root.Position)
                : throw new ExpressionSyntaxException("unknown name '" + root.Name + "'", root.Position, ExpressionErrorKind.UnknownName);
        }
        else
        {
            operand = Bind(receiver);
        }
        for (; next < links.Count; next++)
        {
            operand = Binder.Member(operand, links[next].Name, links[next].Position, Text(links[next]));
        }
        return operand;
    }

    /// <summary>True when the name is a variable, <c>this</c>, a field of <c>this</c> or a type.</summary>
    private bool IsKnownName(NameSyntax name)
    {
        if (name.Name == "this" || Variable(name.Name) != null)
        {
            return true;
        }
        var self = Variable("this");
        return (self != null && Binder.FindField(self.Type, name.Name) != null) || TypeNameResolver.Resolve(name.Name, name.Position) != null;
    }

    private Operand BindCast(CastSyntax cast)
    {
        var firstName = cast.TypeName.Split('.')[0];
        if (!cast.IsKeywordType && Variable(firstName) != null)
        {
            // "(x)y" with x a variable: not a cast, and nothing else either.
            throw new ExpressionSyntaxException("'" + firstName + "' is a variable, not a type: '(" + cast.TypeName + ")' cannot cast '" + Text(cast.Operand) + "'", cast.Operand.Start);
        }
        var type = TypeNameResolver.Resolve(cast.TypeName, cast.TypePosition)
                   ?? throw new ExpressionSyntaxException("unknown type '" + cast.TypeName + "'", cast.TypePosition);
        // string? and other nullable reference annotations are the same type at run time.
        if (cast.Nullable && type.IsValueType)
        {
            type = typeof(Nullable<>).MakeGenericType(type);
        }
        for (var i = 0; i < cast.ArrayRanks; i++)
        {
            type = type.MakeArrayType();
        }
        return Binder.Cast(type, Bind(cast.Operand), cast.Position, Text(cast));
    }

    /// <summary>
    /// <c>a?.b.c</c>: when <c>a</c> is null the whole chain is null; otherwise the rest of the chain runs on <c>a</c>'s
    /// value (read once). A value-type result becomes nullable, as in C#.
    /// </summary>
    private Operand BindConditionalAccess(ConditionalAccessSyntax node)
    {
        var receiver = Bind(node.Receiver);
        if (receiver.TypeName != null)
        {
            throw new ExpressionSyntaxException("'" + node.Operator + "' needs a value, not a type", node.Position);
        }
        var value = Binder.Value(receiver);
        var under = Nullable.GetUnderlyingType(value.Type);
        if (value.Type.IsValueType && under == null)
        {
            throw new ExpressionSyntaxException("'" + node.Operator + "' needs a value that can be null, but '" + receiver.Text + "' is a " + Capture.CSharpTypeNames.Of(value.Type), node.Position);
        }
        var temp = E.Variable(value.Type, "receiver");
        LinqExpression inner = under != null ? E.Property(temp, "Value") : temp;
        _conditionalReceivers.Push(new Operand(inner, receiver.Text, receiver.Position) { KnownNotNull = true });
        Operand rest;
        try
        {
            rest = Bind(node.WhenNotNull);
        }
        finally
        {
            _conditionalReceivers.Pop();
        }
        var restValue = Binder.Value(rest);
        var resultType = restValue.Type.IsValueType && Nullable.GetUnderlyingType(restValue.Type) == null
            ? typeof(Nullable<>).MakeGenericType(restValue.Type)
            : restValue.Type;
        LinqExpression isNull = under != null ? E.Not(E.Property(temp, "HasValue")) : E.ReferenceEqual(temp, E.Constant(null, value.Type));
        var body = E.Block(resultType, [temp],
            E.Assign(temp, value),
            E.Condition(isNull, E.Default(resultType), restValue.Type == resultType ? restValue : E.Convert(restValue, resultType)));
        return new Operand(body, Text(node), receiver.Position);
    }
}
