using System.Linq.Expressions;
using E = System.Linq.Expressions.Expression;

namespace Deep.Agent.Expressions;

/// <summary>
/// Recursive-descent parser for the C# expression subset, binding as it reads (see <see cref="Binder"/>). Precedence,
/// lowest first: <c>?:</c>, <c>??</c>, <c>||</c>, <c>&amp;&amp;</c>, <c>|</c>, <c>^</c>, <c>&amp;</c>,
/// <c>== !=</c>, <c>&lt; &gt; &lt;= &gt;= is</c>, <c>&lt;&lt; &gt;&gt;</c>, <c>+ -</c>, <c>* / %</c>, unary and casts,
/// then member access, calls, indexers and <c>?.</c> <c>?[</c>.
/// </summary>
internal sealed class Parser
{
    private static readonly Dictionary<string, string> ForbiddenOperators = new(StringComparer.Ordinal)
    {
        ["="] = "assignment is not allowed in expressions",
        ["+="] = "assignment is not allowed in expressions",
        ["-="] = "assignment is not allowed in expressions",
        ["*="] = "assignment is not allowed in expressions",
        ["/="] = "assignment is not allowed in expressions",
        ["%="] = "assignment is not allowed in expressions",
        ["&="] = "assignment is not allowed in expressions",
        ["|="] = "assignment is not allowed in expressions",
        ["^="] = "assignment is not allowed in expressions",
        ["<<="] = "assignment is not allowed in expressions",
        [">>="] = "assignment is not allowed in expressions",
        ["??="] = "assignment is not allowed in expressions",
        ["++"] = "'++' is not allowed in expressions: they have no side effects",
        ["--"] = "'--' is not allowed in expressions: they have no side effects",
        ["=>"] = "lambdas are not allowed in expressions",
        ["{"] = "unexpected '{'",
        ["}"] = "unexpected '}'",
        [";"] = "a single expression is expected, without ';'",
        ["->"] = "pointers are not allowed in expressions",
        ["::"] = "'::' is not allowed in expressions",
    };

    private static readonly Dictionary<string, string> ForbiddenWords = new(StringComparer.Ordinal)
    {
        ["new"] = "'new' is not allowed in expressions: they cannot create objects",
        ["typeof"] = "'typeof' is not allowed in expressions",
        ["sizeof"] = "'sizeof' is not allowed in expressions",
        ["nameof"] = "'nameof' is not allowed in expressions",
        ["default"] = "'default' is not allowed in expressions",
        ["await"] = "'await' is not allowed in expressions",
        ["checked"] = "'checked' is not allowed in expressions",
        ["unchecked"] = "'unchecked' is not allowed in expressions",
        ["stackalloc"] = "'stackalloc' is not allowed in expressions",
        ["delegate"] = "anonymous methods are not allowed in expressions",
        ["throw"] = "'throw' is not allowed in expressions",
        ["switch"] = "'switch' is not allowed in expressions",
        ["with"] = "'with' is not allowed in expressions",
        ["as"] = "'as' is not supported in expressions; use a cast",
        ["ref"] = "'ref' is not allowed in expressions",
        ["out"] = "'out' is not allowed in expressions",
        ["var"] = "declarations are not allowed in expressions",
        ["base"] = "'base' is not allowed in expressions",
    };

    private readonly string _source;
    private readonly List<Token> _tokens;
    private readonly IExpressionScope _scope;
    private readonly ParameterExpression _context;
    private int _index;

    // How deep the tree being built is at this point: the parser and LINQ's compiler recurse over it, so it is
    // bounded (ExpressionLimits.MaxNestingDepth) rather than left to overflow the application's stack.
    private int _depth;

    public Parser(string source, IExpressionScope scope, ParameterExpression context)
    {
        _source = source;
        if (source.Length > ExpressionLimits.MaxExpressionLength)
        {
            throw ExpressionSyntaxException.Syntax(
                "the expression is " + source.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " characters long; at most "
                + ExpressionLimits.MaxExpressionLength.ToString(System.Globalization.CultureInfo.InvariantCulture) + " are allowed",
                ExpressionLimits.MaxExpressionLength);
        }
        _tokens = Lexer.Tokenize(source);
        _scope = scope;
        _context = context;
        foreach (var token in _tokens)
        {
            if (token.Kind == TokenKind.Operator && ForbiddenOperators.TryGetValue(token.Text, out var why))
            {
                throw ExpressionSyntaxException.Syntax(why, token.Position);
            }
            if (token.Kind == TokenKind.Identifier && ForbiddenWords.TryGetValue(token.Text, out var word))
            {
                throw ExpressionSyntaxException.Syntax(word, token.Position);
            }
        }
    }

    public Binder Binder { get; } = new();

    private Token Current => _tokens[_index];

    private Token Next() => _tokens[_index++];

    private Token Peek(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private int EndOfPrevious => _index == 0 ? 0 : _tokens[_index - 1].Position + _tokens[_index - 1].Text.Length;

    private string TextFrom(int start) => _source[start..Math.Max(start, EndOfPrevious)].Trim();

    private void Expect(string op)
    {
        if (!Current.Is(op))
        {
            throw Unexpected("'" + op + "'");
        }
        _index++;
    }

    /// <summary>One level deeper into the tree; refused past <see cref="ExpressionLimits.MaxNestingDepth"/>.</summary>
    private void Enter(int position)
    {
        if (++_depth > ExpressionLimits.MaxNestingDepth)
        {
            throw TooDeep(position);
        }
        // A caller on a small stack (the limit is sized for ordinary threads) still gets an error, never an overflow.
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw ExpressionSyntaxException.Syntax("the expression is nested too deeply for the stack of the thread compiling it", position);
        }
    }

    private static ExpressionSyntaxException TooDeep(int position) =>
        ExpressionSyntaxException.Syntax("the expression is nested more than " + ExpressionLimits.MaxNestingDepth.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + " levels deep", position);

    private ExpressionSyntaxException Unexpected(string expected)
    {
        var token = Current;
        return token.Kind == TokenKind.End
            ? ExpressionSyntaxException.Syntax("unexpected end of expression; expected " + expected, token.Position)
            : ExpressionSyntaxException.Syntax("unexpected '" + token.Text + "'; expected " + expected, token.Position);
    }

    /// <summary>Parses the whole source as one expression.</summary>
    public Operand ParseAll()
    {
        if (Current.Kind == TokenKind.End)
        {
            throw ExpressionSyntaxException.Syntax("the expression is empty", 0);
        }
        Enter(0);
        var result = ParseExpression();
        if (Current.Kind != TokenKind.End)
        {
            throw Unexpected("an operator or the end of the expression");
        }
        return result;
    }

    private Operand ParseExpression()
    {
        var start = Current.Position;
        var condition = ParseCoalesce();
        if (!Current.Is("?"))
        {
            return condition;
        }
        var position = Next().Position;
        Enter(position);
        var whenTrue = ParseExpression();
        Expect(":");
        var whenFalse = ParseExpression();
        _depth--;
        return Binder.Conditional(condition, whenTrue, whenFalse, position, TextFrom(start));
    }

    private Operand ParseCoalesce()
    {
        var start = Current.Position;
        var left = ParseBinary(0);
        if (!Current.Is("??"))
        {
            return left;
        }
        var position = Next().Position;
        Enter(position);
        var right = ParseCoalesce();
        _depth--;
        return Binder.Coalesce(left, right, position, TextFrom(start));
    }

    // Binary levels from loosest to tightest; "is" is handled with the relational level.
    private static readonly string[][] Levels =
    [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ];

    private Operand ParseBinary(int level)
    {
        if (level == Levels.Length)
        {
            return ParseUnary();
        }
        var start = Current.Position;
        var left = ParseBinary(level + 1);
        // Each operator of a chain puts the tree so far one level deeper (a + b + c is ((a + b) + c)).
        var depthBefore = _depth;
        while (true)
        {
            var token = Current;
            if (level == 6 && token.IsWord("is"))
            {
                Enter(token.Position);
                Next();
                var negate = false;
                if (Current.IsWord("not"))
                {
                    Next();
                    negate = true;
                }
                if (!Current.IsWord("null"))
                {
                    throw ExpressionSyntaxException.Syntax("only 'is null' and 'is not null' patterns are supported", Current.Position);
                }
                Next();
                left = Binder.IsNull(left, negate, token.Position, TextFrom(start));
                continue;
            }
            if (token.Kind != TokenKind.Operator || Array.IndexOf(Levels[level], token.Text) < 0)
            {
                _depth = depthBefore;
                return left;
            }
            Enter(token.Position);
            Next();
            var right = ParseBinary(level + 1);
            left = Binder.Binary(token.Text, left, right, token.Position, TextFrom(start));
        }
    }

    private Operand ParseUnary()
    {
        var token = Current;
        if (token.Kind == TokenKind.Operator && token.Text is "-" or "+" or "!" or "~")
        {
            Next();
            Enter(token.Position);
            var operand = ParseUnary();
            _depth--;
            // Fold "-literal" so -2147483648 is int.MinValue, as in C#.
            return Binder.Unary(token.Text, operand, token.Position, TextFrom(token.Position));
        }
        if (token.Is("(") && TryParseCast(out var cast))
        {
            return cast!;
        }
        return ParsePostfix(ParsePrimary());
    }

    private bool TryParseCast(out Operand? result)
    {
        result = null;
        var save = _index;
        var open = Next();
        var first = Current;
        if (first.Kind != TokenKind.Identifier)
        {
            _index = save;
            return false;
        }
        var keyword = TypeNameResolver.IsKeyword(first.Text);
        var name = first.Text;
        Next();
        while (Current.Is(".") && Peek(1).Kind == TokenKind.Identifier)
        {
            Next();
            name += "." + Next().Text;
        }
        var nullable = false;
        if (Current.Is("?"))
        {
            Next();
            nullable = true;
        }
        var ranks = 0;
        while (Current.Is("[") && Peek(1).Is("]"))
        {
            Next();
            Next();
            ranks++;
        }
        if (!Current.Is(")"))
        {
            _index = save;
            return false;
        }
        Next();
        var after = Current;
        // C#'s rule: "(x)-y" is a subtraction unless x is a keyword type; "(X)y" is a cast when y starts an operand.
        var startsOperand = after.Kind is TokenKind.Identifier or TokenKind.Number or TokenKind.String or TokenKind.Char
                            || after.Is("(") || after.Is("!") || after.Is("~");
        if (!keyword && !startsOperand)
        {
            _index = save;
            return false;
        }
        if (!keyword && (_scope.Resolve(first.Text, _context) != null))
        {
            _index = save;
            return false;
        }
        var type = TypeNameResolver.Resolve(name, first.Position)
                   ?? throw new ExpressionSyntaxException("unknown type '" + name + "'", first.Position);
        if (nullable)
        {
            if (!type.IsValueType)
            {
                // string? and other nullable reference annotations are the same type at run time.
            }
            else
            {
                type = typeof(Nullable<>).MakeGenericType(type);
            }
        }
        for (var i = 0; i < ranks; i++)
        {
            type = type.MakeArrayType();
        }
        Enter(open.Position);
        var operand = ParseUnary();
        _depth--;
        result = Binder.Cast(type, operand, open.Position, TextFrom(open.Position));
        return true;
    }

    private Operand ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
            case TokenKind.String:
            case TokenKind.Char:
                Next();
                return new Operand(E.Constant(token.Value, token.Value!.GetType()), token.Text, token.Position);
            case TokenKind.Identifier:
                return ParseName();
            case TokenKind.Operator when token.Text == "(":
                Next();
                Enter(token.Position);
                var inner = ParseExpression();
                Expect(")");
                _depth--;
                return inner.Expression != null
                    ? new Operand(inner.Expression, TextFrom(token.Position), token.Position) { IsNullLiteral = inner.IsNullLiteral }
                    : inner;
            default:
                throw Unexpected("a value");
        }
    }

    private Operand ParseName()
    {
        var token = Next();
        var name = token.Text;
        switch (name)
        {
            case "true":
                return new Operand(E.Constant(true), name, token.Position);
            case "false":
                return new Operand(E.Constant(false), name, token.Position);
            case "null":
                return new Operand(E.Constant(null, typeof(object)), name, token.Position) { IsNullLiteral = true };
            case "is":
            case "not":
                throw ExpressionSyntaxException.Syntax("unexpected '" + name + "'", token.Position);
        }
        if (Current.Is("("))
        {
            throw new ExpressionSyntaxException("method '" + name + "' is not allowed in expressions: only pure framework members are", token.Position);
        }
        var variable = _scope.Resolve(name, _context);
        if (variable != null)
        {
            return new Operand(variable, name, token.Position);
        }
        if (name == "this")
        {
            throw new ExpressionSyntaxException("'this' is not available here (a static method?)", token.Position);
        }
        // A field of 'this' may be named without 'this.', as in C#.
        var self = _scope.Resolve("this", _context);
        if (self != null && Binder.FindField(self.Type, name) != null)
        {
            return Binder.Member(new Operand(self, "this", token.Position), name, token.Position, name);
        }
        var type = TypeNameResolver.Resolve(name, token.Position);
        if (type != null)
        {
            return new Operand(type, name, token.Position);
        }
        // A namespace-qualified type name: Shop.Orders.OrderStatus.
        var save = _index;
        var dotted = name;
        // Each prefix is looked up in every application assembly: a namespace is not 16 parts deep, a.b.c... may be.
        const int maxParts = 16;
        for (var parts = 1; parts < maxParts && Current.Is(".") && Peek(1).Kind == TokenKind.Identifier; parts++)
        {
            Next();
            dotted += "." + Next().Text;
            type = TypeNameResolver.Resolve(dotted, token.Position);
            if (type != null)
            {
                return new Operand(type, dotted, token.Position);
            }
        }
        _index = save;
        throw new ExpressionSyntaxException("unknown name '" + name + "'", token.Position, ExpressionErrorKind.UnknownName);
    }

    private Operand ParsePostfix(Operand operand)
    {
        var start = operand.Position;
        // Each member access, call or index of a chain puts the tree so far one level deeper.
        var depthBefore = _depth;
        while (true)
        {
            var token = Current;
            if (token.Is("."))
            {
                Enter(token.Position);
                Next();
                operand = MemberOrCall(operand, start);
            }
            else if (token.Is("["))
            {
                Enter(token.Position);
                Next();
                var args = ParseArguments("]");
                operand = Binder.Index(operand, args, token.Position, TextFrom(start));
            }
            else if (token.Is("?.") || token.Is("?["))
            {
                Enter(token.Position);
                var result = NullConditional(operand, start);
                _depth = depthBefore;
                return result;
            }
            else if (token.Is("("))
            {
                throw new ExpressionSyntaxException("'" + operand.Text + "' cannot be called: only allowed framework methods can", token.Position);
            }
            else
            {
                _depth = depthBefore;
                return operand;
            }
        }
    }

    private Operand MemberOrCall(Operand receiver, int start)
    {
        var nameToken = Current;
        if (nameToken.Kind != TokenKind.Identifier)
        {
            throw Unexpected("a member name");
        }
        Next();
        if (Current.Is("("))
        {
            Next();
            var args = ParseArguments(")");
            return Binder.Call(receiver, nameToken.Text, args, nameToken.Position, TextFrom(start));
        }
        return Binder.Member(receiver, nameToken.Text, nameToken.Position, TextFrom(start));
    }

    private List<Operand> ParseArguments(string close)
    {
        var args = new List<Operand>();
        if (Current.Is(close))
        {
            Next();
            return args;
        }
        while (true)
        {
            args.Add(ParseExpression());
            if (Current.Is(","))
            {
                Next();
                continue;
            }
            Expect(close);
            return args;
        }
    }

    /// <summary>
    /// <c>a?.b.c</c>: when <c>a</c> is null the whole chain is null; otherwise the rest of the chain runs on <c>a</c>'s
    /// value (read once). A value-type result becomes nullable, as in C#.
    /// </summary>
    private Operand NullConditional(Operand receiver, int start)
    {
        var op = Next();
        if (receiver.TypeName != null)
        {
            throw new ExpressionSyntaxException("'" + op.Text + "' needs a value, not a type", op.Position);
        }
        var value = Binder.Value(receiver);
        var under = Nullable.GetUnderlyingType(value.Type);
        if (value.Type.IsValueType && under == null)
        {
            throw new ExpressionSyntaxException("'" + op.Text + "' needs a value that can be null, but '" + receiver.Text + "' is a " + Capture.CSharpTypeNames.Of(value.Type), op.Position);
        }
        var temp = E.Variable(value.Type, "receiver");
        Expression inner = under != null ? E.Property(temp, "Value") : temp;
        var innerOperand = new Operand(inner, receiver.Text, receiver.Position) { KnownNotNull = true };
        Operand first;
        if (op.Text == "?.")
        {
            first = MemberOrCall(innerOperand, start);
        }
        else
        {
            var args = ParseArguments("]");
            first = Binder.Index(innerOperand, args, op.Position, TextFrom(start));
        }
        var rest = ParsePostfix(first);
        var restValue = Binder.Value(rest);
        var resultType = restValue.Type.IsValueType && Nullable.GetUnderlyingType(restValue.Type) == null
            ? typeof(Nullable<>).MakeGenericType(restValue.Type)
            : restValue.Type;
        Expression isNull = under != null ? E.Not(E.Property(temp, "HasValue")) : E.ReferenceEqual(temp, E.Constant(null, value.Type));
        var body = E.Block(resultType, [temp],
            E.Assign(temp, value),
            E.Condition(isNull, E.Default(resultType), restValue.Type == resultType ? restValue : E.Convert(restValue, resultType)));
        return new Operand(body, TextFrom(start), receiver.Position);
    }
}
