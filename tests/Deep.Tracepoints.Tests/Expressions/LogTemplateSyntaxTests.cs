using Deep.Tracepoints.Expressions;

namespace Deep.Tracepoints.Tests.Expressions;

public class LogTemplateSyntaxTests
{
    [Fact]
    public void Text_and_expression_parts_are_split_and_braces_doubled_are_literal()
    {
        var t = LogTemplateSyntax.Parse("total {{ {order.Total} }} for {name + \"}\"}");
        Assert.Equal(
            [(TemplateItemKind.Literal, "total { "), (TemplateItemKind.Expression, "order.Total"), (TemplateItemKind.Literal, " } for "), (TemplateItemKind.Expression, "name + \"}\"")],
            t.Items.Select(i => (i.Kind, i.Text)));
        Assert.All(t.ExpressionParts, p => Assert.NotNull(p.Tree));
        Assert.Empty(t.Problems);
    }

    [Theory]
    [InlineData("total {order.Total", "unclosed '{' at position 7 of the log template (write '{{' for a brace)")]
    [InlineData("a } b", "unmatched '}' at position 3 of the log template (write '}}' for a brace)")]
    [InlineData("a {} b", "empty '{}' at position 3 of the log template")]
    [InlineData("a {x +} b", "'{x +}': unexpected end of expression; expected a value (at position 4)")]
    public void Each_problem_is_reported(string template, string problem)
    {
        Assert.Contains(problem, LogTemplateSyntax.Parse(template).Problems);
    }

    [Fact]
    public void Every_problem_is_reported_in_order()
    {
        Assert.Equal(
            ["unmatched '}' at position 1 of the log template (write '}}' for a brace)", "'{a.}': unexpected end of expression; expected a member name (at position 3)", "empty '{}' at position 8 of the log template"],
            LogTemplateSyntax.Parse("} {a.} {} {ok}").Problems.Take(3));
    }

    [Fact]
    public void Size_and_part_count_are_limited()
    {
        Assert.Equal(["the log template is " + (SyntaxLimits.MaxTemplateLength + 1) + " characters long; at most " + SyntaxLimits.MaxTemplateLength + " are allowed"],
            LogTemplateSyntax.Parse(new string('a', SyntaxLimits.MaxTemplateLength + 1)).Problems);
        var full = string.Concat(Enumerable.Repeat("{x}", SyntaxLimits.MaxTemplateExpressions));
        Assert.Empty(LogTemplateSyntax.Parse(full).Problems);
        Assert.Contains("more than " + SyntaxLimits.MaxTemplateExpressions + " {expressions}", Assert.Single(LogTemplateSyntax.Parse(full + "{x}").Problems));
    }
}
