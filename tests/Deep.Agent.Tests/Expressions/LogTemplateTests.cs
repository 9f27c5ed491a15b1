using Deep.Agent.Expressions;

namespace Deep.Agent.Tests.Expressions;

public class LogTemplateTests
{
    private readonly TestScope _scope = new TestScope()
        .Add("order", new Order(3) { Total = 12.5m, Status = OrderStatus.Paid })
        .Add("count", 3)
        .Add("ratio", 0.5)
        .Add("flag", false)
        .Add<string?>("nothing", null)
        .Add("items", new List<int> { 1, 2, 3 });

    private string Render(string template)
    {
        var compiled = LogTemplate<TestScope>.Compile(template, _scope);
        Assert.True(compiled.Error == null, compiled.Error);
        return compiled.Render(_scope);
    }

    [Fact]
    public void Expressions_are_replaced_by_their_values()
    {
        Assert.Equal("order 3 total 12.5 is Paid", Render("order {order._id} total {order.Total} is {order.Status}"));
        Assert.Equal("count=3 ratio=0.5 flag=false nothing=null", Render("count={count} ratio={ratio} flag={flag} nothing={nothing}"));
    }

    [Fact]
    public void Values_are_formatted_like_captured_variables()
    {
        var order = new Order(1);
        var scope = new TestScope().Add("order", order).Add("items", new List<int> { 1, 2, 3 });
        var template = LogTemplate<TestScope>.Compile("{order} {items}", scope);
        Assert.Equal("Order List<int> of size: 3", template.Render(scope));
        Assert.Equal(0, order.GetterCalls); // Order.ToString() never ran
    }

    [Fact]
    public void Double_braces_are_literal_braces() =>
        Assert.Equal("{count} = {3}", Render("{{count}} = {{{count}}}"));

    [Fact]
    public void Braces_inside_string_literals_do_not_end_an_expression() =>
        Assert.Equal("x}y", Render("{\"x}\" + \"y\"}"));

    [Fact]
    public void A_failing_expression_inserts_its_name_and_error_and_the_rest_renders()
    {
        var template = LogTemplate<TestScope>.Compile("len={nothing.Length} count={count}", _scope);
        Assert.Equal("len={nothing.Length: 'nothing' is null} count=3", template.Render(_scope));
    }

    [Theory]
    [InlineData("{nosuch}", "{nosuch: unknown name 'nosuch' (at position 1)}")]
    [InlineData("{order.Save()}", "{order.Save(): method 'Save' is not allowed in expressions")]
    [InlineData("{ -\"a\" }", "{-\"a\": operator '-' cannot be applied to string")]
    public void A_part_that_does_not_bind_is_not_a_template_error_and_renders_as_its_name_and_reason(string part, string rendered)
    {
        var template = LogTemplate<TestScope>.Compile("before " + part + " count={count}", _scope);
        Assert.Null(template.Error);
        var line = template.Render(_scope);
        Assert.StartsWith("before " + rendered, line, StringComparison.Ordinal);
        Assert.EndsWith("} count=3", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Results_of_each_expression_are_reported()
    {
        var template = LogTemplate<TestScope>.Compile("{count} {nothing.Length}", _scope);
        var results = new List<(string, ExpressionResult)>();
        template.Render(_scope, results);
        Assert.Equal(2, results.Count);
        Assert.Equal("count", results[0].Item1);
        Assert.Equal(3, results[0].Item2.Value);
        Assert.True(results[1].Item2.IsError);
    }

    [Theory]
    [InlineData("total {order.Total", "unclosed '{' at position 7")]
    [InlineData("a } b", "unmatched '}' at position 3")]
    [InlineData("a {} b", "empty '{}'")]
    [InlineData("{count +}", "unexpected end of expression")]
    [InlineData("{count = 1}", "assignment is not allowed")]
    [InlineData("{\"abc}", "unclosed '{'")]
    public void Template_errors_are_reported_with_their_position(string template, string message)
    {
        var compiled = LogTemplate<TestScope>.Compile(template, _scope);
        Assert.NotNull(compiled.Error);
        Assert.Contains(message, compiled.Error);
    }

    [Fact]
    public void A_template_without_expressions_is_its_own_text() =>
        Assert.Equal("plain text", Render("plain text"));
}
