namespace Deep.Tracepoints.Expressions;

/// <summary>
/// Recursive-descent parser for the C# expression subset: text to an immutable syntax tree, with no meaning attached
/// (the agent's binder resolves names and types, so the server can check syntax without the program). Precedence,
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
    private int _index;

    // How deep the tree being built is at this point: the parser and LINQ's compiler recurse over it, so it is
    // bounded (SyntaxLimits.MaxNestingDepth) rather than left to overflow the application's stack.
    private int _depth;

    /// <summary>Parses <paramref name="source"/> as one expression; throws <see cref="ExpressionSyntaxException"/>.</summary>
    public static ExpressionTree Parse(string source)
    {
        source ??= "";
        return new ExpressionTree(source, new Parser(source).ParseAll());
    }

    private Parser(string source)
    {
        _source = source;
        if (source.Length > SyntaxLimits.MaxExpressionLength)
        {
            throw new ExpressionSyntaxException(
                "the expression is " + source.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + " characters long; at most "
                + SyntaxLimits.MaxExpressionLength.ToString(System.Globalization.CultureInfo.InvariantCulture) + " are allowed",
                SyntaxLimits.MaxExpressionLength);
        }
        _tokens = Lexer.Tokenize(source);
        foreach (var token in _tokens)
        {
            if (token.Kind == TokenKind.Operator && ForbiddenOperators.TryGetValue(token.Text, out var why))
            {
                throw new ExpressionSyntaxException(why, token.Position);
            }
            if (token.Kind == TokenKind.Identifier && ForbiddenWords.TryGetValue(token.Text, out var word))
            {
                throw new ExpressionSyntaxException(word, token.Position);
            }
        }
    }

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

    /// <summary>One level deeper into the tree; refused past <see cref="SyntaxLimits.MaxNestingDepth"/>.</summary>
    private void Enter(int position)
    {
        if (++_depth > SyntaxLimits.MaxNestingDepth)
        {
            throw TooDeep(position);
        }
        // A caller on a small stack (the limit is sized for ordinary threads) still gets an error, never an overflow.
        if (!System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ExpressionSyntaxException("the expression is nested too deeply for the stack of the thread compiling it", position);
        }
    }

    private static ExpressionSyntaxException TooDeep(int position) =>
        new("the expression is nested more than " + SyntaxLimits.MaxNestingDepth.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + " levels deep", position);

    private ExpressionSyntaxException Unexpected(string expected)
    {
        var token = Current;
        return token.Kind == TokenKind.End
            ? new ExpressionSyntaxException("unexpected end of expression; expected " + expected, token.Position)
            : new ExpressionSyntaxException("unexpected '" + token.Text + "'; expected " + expected, token.Position);
    }

    private SyntaxNode ParseAll()
    {
        if (Current.Kind == TokenKind.End)
        {
            throw new ExpressionSyntaxException("the expression is empty", 0);
        }
        Enter(0);
        var result = ParseExpression();
        if (Current.Kind != TokenKind.End)
        {
            throw Unexpected("an operator or the end of the expression");
        }
        return result;
    }

    private SyntaxNode ParseExpression()
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
        return new ConditionalSyntax(condition, whenTrue, whenFalse, start, EndOfPrevious, position);
    }

    private SyntaxNode ParseCoalesce()
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
        return new BinarySyntax("??", left, right, start, EndOfPrevious, position);
    }

    // Binary levels from loosest to tightest; "is" is handled with the relational level.
    private static readonly string[][] Levels =
    [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ];

    private SyntaxNode ParseBinary(int level)
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
                    throw new ExpressionSyntaxException("only 'is null' and 'is not null' patterns are supported", Current.Position);
                }
                Next();
                left = new IsNullSyntax(left, negate, start, EndOfPrevious, token.Position);
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
            left = new BinarySyntax(token.Text, left, right, start, EndOfPrevious, token.Position);
        }
    }

    private SyntaxNode ParseUnary()
    {
        var token = Current;
        if (token.Kind == TokenKind.Operator && token.Text is "-" or "+" or "!" or "~")
        {
            Next();
            Enter(token.Position);
            var operand = ParseUnary();
            _depth--;
            return new UnarySyntax(token.Text, operand, token.Position, EndOfPrevious);
        }
        if (token.Is("(") && TryParseCast(out var cast))
        {
            return cast!;
        }
        return ParsePostfix(ParsePrimary());
    }

    private bool TryParseCast(out SyntaxNode? result)
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
        var keyword = TypeKeywords.Contains(first.Text);
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
        // C#'s rule: "(x)-y" is a subtraction unless x is a keyword type; "(X)y" is a cast when y starts an operand
        // ("(x) is null" tests x). Whether X is a type or a variable only the binder knows.
        var startsOperand = (after.Kind is TokenKind.Identifier && !after.IsWord("is")) || after.Kind is TokenKind.Number or TokenKind.String or TokenKind.Char
                            || after.Is("(") || after.Is("!") || after.Is("~");
        if (!keyword && !startsOperand)
        {
            _index = save;
            return false;
        }
        Enter(open.Position);
        var operand = ParseUnary();
        _depth--;
        result = new CastSyntax(name, first.Position, keyword, nullable, ranks, operand, open.Position, EndOfPrevious);
        return true;
    }

    // The C# keywords that name types: "(int)-x" is a cast, "(x)-y" a subtraction.
    private static readonly HashSet<string> TypeKeywords = new(StringComparer.Ordinal)
    {
        "bool", "byte", "sbyte", "char", "short", "ushort", "int", "uint", "long", "ulong", "float", "double", "decimal",
        "string", "object", "nint", "nuint",
    };

    private SyntaxNode ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
            case TokenKind.String:
            case TokenKind.Char:
                Next();
                return new LiteralSyntax(token.Value, token.Position, EndOfPrevious);
            case TokenKind.Identifier:
                return ParseName();
            case TokenKind.Operator when token.Text == "(":
                Next();
                Enter(token.Position);
                var inner = ParseExpression();
                Expect(")");
                _depth--;
                return new ParenthesizedSyntax(inner, token.Position, EndOfPrevious);
            default:
                throw Unexpected("a value");
        }
    }

    private SyntaxNode ParseName()
    {
        var token = Next();
        var name = token.Text;
        switch (name)
        {
            case "true":
                return new LiteralSyntax(true, token.Position, EndOfPrevious);
            case "false":
                return new LiteralSyntax(false, token.Position, EndOfPrevious);
            case "null":
                return new LiteralSyntax(null, token.Position, EndOfPrevious);
            case "is":
            case "not":
                throw new ExpressionSyntaxException("unexpected '" + name + "'", token.Position);
        }
        if (Current.Is("("))
        {
            throw new ExpressionSyntaxException("method '" + name + "' is not allowed in expressions: only pure framework members are", token.Position);
        }
        return new NameSyntax(name, token.Position, EndOfPrevious);
    }

    private SyntaxNode ParsePostfix(SyntaxNode operand)
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
                operand = new IndexSyntax(operand, args, start, EndOfPrevious, token.Position);
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
                throw new ExpressionSyntaxException("'" + TextFrom(start) + "' cannot be called: only allowed framework methods can", token.Position);
            }
            else
            {
                _depth = depthBefore;
                return operand;
            }
        }
    }

    private SyntaxNode MemberOrCall(SyntaxNode receiver, int start)
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
            return new CallSyntax(receiver, nameToken.Text, args, start, EndOfPrevious, nameToken.Position);
        }
        return new MemberAccessSyntax(receiver, nameToken.Text, start, EndOfPrevious, nameToken.Position);
    }

    private List<SyntaxNode> ParseArguments(string close)
    {
        var args = new List<SyntaxNode>();
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
    /// value (read once).
    /// </summary>
    private SyntaxNode NullConditional(SyntaxNode receiver, int start)
    {
        var op = Next();
        var inner = new ConditionalReceiverSyntax(receiver.Start, receiver.End, receiver.Position);
        SyntaxNode first;
        if (op.Text == "?.")
        {
            first = MemberOrCall(inner, start);
        }
        else
        {
            var args = ParseArguments("]");
            first = new IndexSyntax(inner, args, start, EndOfPrevious, op.Position);
        }
        var rest = ParsePostfix(first);
        return new ConditionalAccessSyntax(receiver, op.Text, rest, start, EndOfPrevious, op.Position);
    }
}
