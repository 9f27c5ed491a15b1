using Deep.Tracepoints.Expressions;

namespace Deep.Tracepoints.Tests.Expressions;

/// <summary>The parser alone: tree shapes, C# precedence, positions, the syntax refusals and the size limits.</summary>
public class ParserTests
{
    private const int Limit = SyntaxLimits.MaxNestingDepth;

    // The tree written back with every node in brackets, so a shape is one readable string.
    private static string Shape(string source) => Show(Parser.Parse(source).Root);

    private static string Show(SyntaxNode node) => node switch
    {
        LiteralSyntax { IsNull: true } => "null",
        LiteralSyntax l => l.Value is string s ? "\"" + s + "\"" : Convert.ToString(l.Value, System.Globalization.CultureInfo.InvariantCulture)!,
        NameSyntax n => n.Name,
        ParenthesizedSyntax p => "(" + Show(p.Inner) + ")",
        UnarySyntax u => "[" + u.Operator + Show(u.Operand) + "]",
        CastSyntax c => "[(" + c.TypeName + (c.Nullable ? "?" : "") + string.Concat(Enumerable.Repeat("[]", c.ArrayRanks)) + ")" + Show(c.Operand) + "]",
        BinarySyntax b => "[" + Show(b.Left) + " " + b.Operator + " " + Show(b.Right) + "]",
        IsNullSyntax i => "[" + Show(i.Operand) + (i.Negated ? " is not null]" : " is null]"),
        ConditionalSyntax c => "[" + Show(c.Condition) + " ? " + Show(c.WhenTrue) + " : " + Show(c.WhenFalse) + "]",
        MemberAccessSyntax m => Show(m.Receiver) + "." + m.Name,
        CallSyntax c => Show(c.Receiver) + "." + c.Name + "(" + string.Join(", ", c.Arguments.Select(Show)) + ")",
        IndexSyntax x => Show(x.Receiver) + "[" + string.Join(", ", x.Arguments.Select(Show)) + "]",
        ConditionalAccessSyntax a => "{" + Show(a.Receiver) + a.Operator + " " + Show(a.WhenNotNull) + "}",
        ConditionalReceiverSyntax => "_",
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private static ExpressionSyntaxException Refused(string source) => Assert.Throws<ExpressionSyntaxException>(() => Parser.Parse(source));

    [Theory]
    [InlineData("a + b * c", "[a + [b * c]]")]
    [InlineData("a * b + c", "[[a * b] + c]")]
    [InlineData("a - b - c", "[[a - b] - c]")]
    [InlineData("a || b && c", "[a || [b && c]]")]
    [InlineData("a == b && c != d", "[[a == b] && [c != d]]")]
    [InlineData("a < b == c > d", "[[a < b] == [c > d]]")]
    [InlineData("a | b ^ c & d", "[a | [b ^ [c & d]]]")]
    [InlineData("a << 1 + 2", "[a << [1 + 2]]")]
    [InlineData("a ?? b ?? c", "[a ?? [b ?? c]]")]
    [InlineData("a ? b : c ? d : e", "[a ? b : [c ? d : e]]")]
    [InlineData("a ?? b ? c : d", "[[a ?? b] ? c : d]")]
    [InlineData("-a * b", "[[-a] * b]")]
    [InlineData("!a.b", "[!a.b]")]
    [InlineData("(int)x + 1", "[[(int)x] + 1]")]
    [InlineData("(int?)x", "[(int?)x]")]
    [InlineData("(Shop.Order[])o", "[(Shop.Order[])o]")]
    [InlineData("(x) - y", "[(x) - y]")]
    [InlineData("(int)-y", "[(int)[-y]]")]
    [InlineData("(x) is null", "[(x) is null]")]
    [InlineData("a.b is not null", "[a.b is not null]")]
    [InlineData("a.b.c(1, d)[2]", "a.b.c(1, d)[2]")]
    [InlineData("a?.b.c", "{a?. _.b.c}")]
    [InlineData("a?[0]?.b", "{a?[ {_[0]?. _.b}}")]
    [InlineData("s.Length > 3 ? \"long\" : null", "[[s.Length > 3] ? \"long\" : null]")]
    [InlineData("@class + 1", "[class + 1]")]
    public void Trees_have_the_shape_and_precedence_of_CSharp(string source, string expected)
    {
        Assert.Equal(expected, Shape(source));
    }

    [Fact]
    public void Nodes_know_their_text_and_where_errors_about_them_point()
    {
        var tree = Parser.Parse("order.Total + 2 * x");
        var plus = Assert.IsType<BinarySyntax>(tree.Root);
        Assert.Equal(12, plus.Position);
        Assert.Equal("order.Total + 2 * x", tree.TextOf(plus));
        var member = Assert.IsType<MemberAccessSyntax>(plus.Left);
        Assert.Equal("order.Total", tree.TextOf(member));
        Assert.Equal(6, member.Position);
        Assert.Equal("2 * x", tree.TextOf(plus.Right));
    }

    [Theory]
    [InlineData("", "the expression is empty", 0)]
    [InlineData("   ", "the expression is empty", 0)]
    [InlineData("(a > 1", "unexpected end of expression; expected ')'", 6)]
    [InlineData("a.", "unexpected end of expression; expected a member name", 2)]
    [InlineData("a +", "unexpected end of expression; expected a value", 3)]
    [InlineData("a b", "unexpected 'b'; expected an operator or the end of the expression", 2)]
    [InlineData("x = 1", "assignment is not allowed in expressions", 2)]
    [InlineData("x++", "'++' is not allowed in expressions: they have no side effects", 1)]
    [InlineData("new Order()", "'new' is not allowed in expressions: they cannot create objects", 0)]
    [InlineData("x => x", "lambdas are not allowed in expressions", 2)]
    [InlineData("Save(order)", "method 'Save' is not allowed in expressions: only pure framework members are", 0)]
    [InlineData("a.b(1)(2)", "'a.b(1)' cannot be called: only allowed framework methods can", 6)]
    [InlineData("\"open", "unterminated string literal", 0)]
    [InlineData("'ab'", "a character literal holds exactly one character", 0)]
    [InlineData("x is 3", "only 'is null' and 'is not null' patterns are supported", 5)]
    [InlineData("a # b", "unexpected character '#'", 2)]
    [InlineData("99999999999999999999999", "integer literal is too large", 0)]
    public void Syntax_errors_say_what_and_where(string source, string message, int position)
    {
        var e = Refused(source);
        Assert.Equal(message, e.Message);
        Assert.Equal(position, e.Position);
        Assert.EndsWith("(at position " + (position + 1) + ")", e.Describe());
    }

    public static TheoryData<string, string> AtTheLimit() => new()
    {
        // The whole expression is one level; each of these another.
        { "parentheses", new string('(', Limit - 1) + "x" + new string(')', Limit - 1) },
        { "unary", new string('!', Limit - 1) + "x" },
        { "casts", string.Concat(Enumerable.Repeat("(int)", Limit - 1)) + "x" },
        { "chain", "x" + string.Concat(Enumerable.Repeat(" + x", Limit - 1)) },
        { "members", "x" + string.Concat(Enumerable.Repeat(".a", Limit - 1)) },
        { "conditionals", string.Concat(Enumerable.Repeat("a ? b : ", Limit - 1)) + "c" },
        { "coalesce", string.Concat(Enumerable.Repeat("a ?? ", Limit - 1)) + "c" },
    };

    [Theory]
    [MemberData(nameof(AtTheLimit))]
    public void The_nesting_limit_is_exact(string shape, string atLimit)
    {
        Parser.Parse(atLimit);
        var over = shape switch
        {
            "parentheses" => "(" + atLimit + ")",
            "unary" => "!" + atLimit,
            "casts" => "(int)" + atLimit,
            "chain" => atLimit + " + x",
            "members" => atLimit + ".a",
            "conditionals" => "a ? b : " + atLimit,
            _ => "a ?? " + atLimit,
        };
        Assert.StartsWith("the expression is nested more than " + Limit + " levels deep", Refused(over).Message);
    }

    [Fact]
    public void Length_is_limited_and_the_limit_is_exact()
    {
        var longest = "\"" + new string('a', SyntaxLimits.MaxExpressionLength - 2) + "\"";
        Assert.Equal(SyntaxLimits.MaxExpressionLength - 2, ((string)Assert.IsType<LiteralSyntax>(Parser.Parse(longest).Root).Value!).Length);
        var e = Refused(longest + " ");
        Assert.Equal("the expression is " + (SyntaxLimits.MaxExpressionLength + 1) + " characters long; at most " + SyntaxLimits.MaxExpressionLength + " are allowed", e.Message);
    }

    [Fact]
    public void A_small_stack_gets_an_error_not_an_overflow()
    {
        string? message = null;
        var thread = new Thread(() =>
        {
            try
            {
                Parser.Parse(new string('(', Limit - 1) + "x" + new string(')', Limit - 1));
                message = "parsed";
            }
            catch (ExpressionSyntaxException e)
            {
                message = e.Message;
            }
        }, 64 * 1024);
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromMinutes(1)));
        // Either it fits the small stack or it is refused with a clear error: never a crash of the process.
        Assert.True(message is "parsed" || message!.Contains("nested too deeply for the stack", StringComparison.Ordinal), message);
    }
}
