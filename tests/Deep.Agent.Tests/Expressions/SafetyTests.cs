namespace Deep.Agent.Tests.Expressions;

/// <summary>Spec §10 defect 8: expressions must never run arbitrary code or have side effects.</summary>
public class SafetyTests
{
    private readonly Order _order = new(1);
    private readonly TestScope _scope;

    public SafetyTests() => _scope = new TestScope().Add("order", _order).Add("x", 5).Add("s", "abc");

    [Fact]
    public void Calling_an_application_method_is_refused_with_its_name()
    {
        Assert.StartsWith("method 'Save' is not allowed in expressions: only pure framework members are", _scope.CompileError("order.Save()"));
        Assert.Equal(0, _order.GetterCalls);
    }

    [Fact]
    public void ToString_of_an_application_type_is_refused()
    {
        Assert.Contains("method 'ToString' is not allowed", _scope.CompileError("order.ToString()"));
        Assert.Equal(0, _order.GetterCalls);
    }

    [Fact]
    public void Dynamic_calls_check_the_runtime_type_and_never_run_application_methods()
    {
        var scope = new TestScope().Add<object>("boxed", _order);
        Assert.Contains("method 'ToString' is not allowed on Order", scope.RuntimeError("boxed.ToString()"));
        Assert.Contains("method 'Save' is not allowed", scope.CompileError("boxed.Save()"));
        Assert.Equal(0, _order.GetterCalls);
    }

    [Theory]
    [InlineData("x = 3", "assignment is not allowed")]
    [InlineData("x += 1", "assignment is not allowed")]
    [InlineData("x++", "'++' is not allowed")]
    [InlineData("--x", "'--' is not allowed")]
    [InlineData("new Order(2)", "'new' is not allowed")]
    [InlineData("typeof(Order)", "'typeof' is not allowed")]
    [InlineData("s.Select(c => c)", "lambdas are not allowed")]
    [InlineData("System.Console.WriteLine(s)", "method 'WriteLine' is not allowed")]
    [InlineData("Console.WriteLine(s)", "unknown name 'Console'")]
    [InlineData("Environment.Exit(1)", "unknown name 'Environment'")]
    [InlineData("System.Environment.Exit(1)", "method 'Exit' is not allowed")]
    [InlineData("s.GetType()", "method 'GetType' is not allowed")]
    [InlineData("Save()", "method 'Save' is not allowed")]
    [InlineData("x; x", "without ';'")]
    [InlineData("default(int)", "'default' is not allowed")]
    [InlineData("Math.Abs", "no constant or static field 'Abs'")]
    [InlineData("string.Join(\",\", s)", "method 'Join' is not allowed")]
    public void Forbidden_constructs_are_clear_compile_errors(string source, string message) =>
        Assert.Contains(message, _scope.CompileError(source));

    [Fact]
    public void Equality_of_application_objects_is_identity_and_never_calls_their_operators()
    {
        var a = new Tracked { Value = 1 };
        var b = new Tracked { Value = 1 };
        Tracked.Calls = 0;
        var scope = new TestScope().Add("a", a).Add("b", b).Add("same", a);
        Assert.Equal(false, scope.Value("a == b"));
        Assert.Equal(true, scope.Value("a == same"));
        Assert.Equal(true, scope.Value("a != b"));
        Assert.Equal(0, Tracked.Calls);
    }

    [Fact]
    public void Operators_of_application_structs_are_refused() =>
        Assert.Contains("would run application code", new TestScope().Add("p", new Point()).Add("q", new Point()).CompileError("p == q"));

    [Fact]
    public void Searching_a_collection_of_application_objects_is_refused()
    {
        var scope = new TestScope().Add("list", new List<Tracked> { new() }).Add("t", new Tracked()).Add("map", new Dictionary<Tracked, int>());
        Assert.Contains("method 'Contains' is not allowed", scope.CompileError("list.Contains(t)"));
        Assert.Contains("method 'ContainsKey' is not allowed", scope.CompileError("map.ContainsKey(t)"));
        Assert.Contains("keys would be compared by application code", scope.CompileError("map[t]"));
    }

    [Fact]
    public void A_dictionary_with_an_application_comparer_is_refused_at_run_time()
    {
        var comparer = new CountingComparer();
        var map = new Dictionary<string, int>(comparer);
        comparer.Calls = 0;
        var scope = new TestScope().Add("map", map);
        Assert.Contains("uses the application's comparer CountingComparer", scope.RuntimeError("map.ContainsKey(\"a\")"));
        Assert.Contains("uses the application's comparer", scope.RuntimeError("map[\"a\"]"));
        Assert.Equal(0, comparer.Calls);
    }

    [Fact]
    public void A_method_called_on_a_dynamic_receiver_never_takes_an_object_parameter_either()
    {
        // Resolved at run time against the value's type: the static binder's parameter rule must hold there too, or
        // ContainsValue(object) would compare with the application's Equals.
        var tracked = new Tracked { Value = 1 };
        var scope = new TestScope()
            .Add<object>("map", new Dictionary<string, object> { ["k"] = new Tracked { Value = 1 } })
            .Add<object>("list", new List<object> { new Tracked { Value = 1 } })
            .Add("t", tracked);
        Tracked.Calls = 0;
        foreach (var source in new[] { "map.ContainsValue(t)", "list.Contains(t)", "list.IndexOf(t)" })
        {
            var compiled = scope.Compile(source);
            Assert.True(compiled.Error == null, compiled.Error);
            Assert.True(compiled.Evaluate(scope).IsError, source);
        }
        Assert.Equal(0, Tracked.Calls);
    }

    [Fact]
    public void Methods_taking_object_parameters_are_never_chosen()
    {
        // string.Concat(object, object) would call Order.ToString(); only the string overloads are allowed.
        var scope = new TestScope().Add("order", _order);
        Assert.Contains("no allowed overload", scope.CompileError("string.Concat(order, order)"));
        Assert.Equal(0, _order.GetterCalls);
    }
}
