using Deep.Agent.Expressions;

namespace Deep.Agent.Tests.Expressions;

public class EvaluationTests
{
    [Fact]
    public void Runtime_errors_become_error_results_not_values()
    {
        // Spec §10 defect 6: a failing watch must not look like a good result whose value is the exception.
        var scope = new TestScope().Add("zero", 0).Add("x", 5).Add<string?>("s", null);
        var result = scope.Eval("x / zero");
        Assert.True(result.IsError);
        Assert.Null(result.Value);
        Assert.Equal("division by zero", result.Error);
        Assert.Equal("'s' is null", scope.RuntimeError("s.Length"));
    }

    [Fact]
    public void A_compile_error_is_reported_by_every_evaluation_without_running()
    {
        var scope = new TestScope().Add("x", 1);
        var compiled = scope.Compile("x +");
        Assert.NotNull(compiled.Error);
        Assert.Null(compiled.ResultType);
        var result = compiled.Evaluate(scope);
        Assert.Equal(compiled.Error, result.Error);
        Assert.False(compiled.EvaluateCondition(scope, out var error));
        Assert.Equal(compiled.Error, error);
    }

    [Fact]
    public void An_empty_expression_is_an_error() =>
        Assert.Contains("empty", new TestScope().CompileError("   "));

    [Fact]
    public void Compile_never_throws_even_on_garbage()
    {
        var scope = new TestScope().Add("x", 1);
        foreach (var source in new[] { "(((", ")", "x..y", "x ? 1", "[1]", "x[", "\"", "?.", "x?.", "1 + + + ", "(int", "(x)(y)" })
        {
            var compiled = scope.Compile(source);
            Assert.NotNull(compiled.Error);
        }
    }

    [Theory]
    [InlineData("x > 3", true)]
    [InlineData("x < 3", false)]
    [InlineData("flag", true)]
    public void Conditions_fire_on_boolean_true_only(string source, bool fires)
    {
        var scope = new TestScope().Add("x", 5).Add("flag", true);
        Assert.Equal(fires, scope.Compile(source).EvaluateCondition(scope, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("one")]
    [InlineData("x")]
    [InlineData("boxed")]
    public void Truthy_looking_values_are_not_true(string source)
    {
        // Spec §10 defect 7: "yes", "1", 1 are not a boolean true.
        var scope = new TestScope().Add("text", "yes").Add("one", "1").Add("x", 1).Add<object>("boxed", "true");
        var fired = scope.Compile(source).EvaluateCondition(scope, out var error);
        Assert.False(fired);
        Assert.Contains("not a bool", error);
    }

    [Fact]
    public void A_condition_that_throws_does_not_fire_and_says_why()
    {
        var scope = new TestScope().Add("order", new Order(1));
        Assert.False(scope.Compile("order.Customer.Name == \"x\"").EvaluateCondition(scope, out var error));
        Assert.Equal("'order.Customer' is null", error);
    }

    [Fact]
    public void A_dynamic_boolean_condition_fires()
    {
        var scope = new TestScope().Add<object>("boxed", true).Add<bool?>("maybe", null);
        Assert.True(scope.Compile("boxed").EvaluateCondition(scope, out _));
        Assert.False(scope.Compile("maybe").EvaluateCondition(scope, out var error));
        Assert.Contains("is null", error);
    }

    [Fact]
    public void Results_carry_the_static_type()
    {
        var scope = new TestScope().Add("x", 5).Add<object>("o", "s");
        Assert.Equal(typeof(int), scope.Eval("x + 1").Type);
        Assert.Equal(typeof(object), scope.Eval("o").Type);
        Assert.Equal(typeof(bool), scope.Compile("x > 1").ResultType);
    }

    [Fact]
    public void Evaluation_reads_the_current_context_every_time()
    {
        var scope = new TestScope().Add("x", 5);
        var compiled = scope.Compile("x * 2");
        Assert.Equal(10, compiled.Evaluate(scope).Value);
        scope.Values[0] = 21;
        Assert.Equal(42, compiled.Evaluate(scope).Value);
    }

    [Fact]
    public void Cheap_expressions_are_not_timed_and_string_methods_are()
    {
        var scope = new TestScope().Add("x", 5).Add("s", "abc");
        Assert.False(scope.Compile("x > 100 && x != 3").IsTimed);
        Assert.True(scope.Compile("s.Contains(\"b\")").IsTimed);
        Assert.True(scope.Compile("s + x").IsTimed);
    }

    [Fact]
    public void An_expression_over_its_time_budget_is_disabled_with_a_reason()
    {
        var huge = new string('a', ExpressionLimits.MaxInputLength - 1) + "b";
        var scope = new TestScope().Add("s", huge);
        var compiled = ExpressionCompiler.Compile<TestScope>("s.IndexOf(\"ab\", StringComparison.Ordinal) + s.Substring(0, 60000).ToUpper().Length", scope, TimeSpan.FromTicks(1));
        Assert.False(compiled.Evaluate(scope).IsError);
        compiled.Evaluate(scope);
        var third = compiled.Evaluate(scope);
        Assert.True(third.IsError);
        Assert.Contains("over its budget", third.Error);
        Assert.Equal(third.Error, compiled.DisabledReason);
        Assert.False(compiled.EvaluateCondition(scope, out var error));
        Assert.Equal(compiled.DisabledReason, error);
    }

    [Fact]
    public void Compiled_expressions_can_be_evaluated_from_many_threads()
    {
        var compiled = new TestScope().Add("x", 0).Compile("x * 2 + 1");
        Parallel.For(0, 2000, i =>
        {
            var scope = new TestScope().Add("x", i);
            Assert.Equal(i * 2 + 1, compiled.Evaluate(scope).Value);
        });
    }
}
