namespace Deep.Agent.Tests.Expressions;

public class MemberTests
{
    private static Order SampleOrder()
    {
        var order = new Order(17)
        {
            Total = 120.5m,
            Status = OrderStatus.Shipped,
            Customer = new Customer { Name = "Ada", _visits = 3 },
            Scores = [5, 6, 7],
        };
        order.Tags.AddRange(["gift", "express"]);
        order.Quantities["apple"] = 4;
        return order;
    }

    [Fact]
    public void Auto_properties_are_read_through_their_backing_fields()
    {
        var scope = new TestScope().Add("order", SampleOrder());
        Assert.Equal(120.5m, scope.Value("order.Total"));
        Assert.Equal("Ada", scope.Value("order.Customer.Name"));
        Assert.Equal(OrderStatus.Shipped, scope.Value("order.Status"));
    }

    [Fact]
    public void Private_and_internal_fields_are_readable()
    {
        var scope = new TestScope().Add("order", SampleOrder());
        Assert.Equal(17, scope.Value("order._id"));
        Assert.Equal(3, scope.Value("order.Customer._visits"));
    }

    [Fact]
    public void Fields_of_base_classes_are_found()
    {
        var scope = new TestScope().Add("special", new SpecialOrder(9) { Reason = "vip", Total = 3 });
        Assert.Equal(9, scope.Value("special._id"));
        Assert.Equal("vip", scope.Value("special.Reason"));
        Assert.Equal(3m, scope.Value("special.Total"));
    }

    [Fact]
    public void A_property_with_a_getter_is_refused_and_its_getter_never_runs()
    {
        var order = SampleOrder();
        var scope = new TestScope().Add("order", order);
        var error = scope.CompileError("order.Description");
        Assert.Contains("property 'Description' of Order is not an auto-property", error);
        Assert.Equal(0, order.GetterCalls);
    }

    [Fact]
    public void Unknown_names_are_compile_errors()
    {
        var scope = new TestScope().Add("order", SampleOrder());
        Assert.Contains("unknown name 'ordr'", scope.CompileError("ordr.Total"));
    }

    [Fact]
    public void An_unknown_member_of_a_sealed_type_is_a_compile_error()
    {
        var scope = new TestScope().Add("special", new SpecialOrder(1));
        Assert.Contains("SpecialOrder has no field or auto-property 'Nope'", scope.CompileError("special.Nope"));
        Assert.Contains("string has no field or auto-property 'Size'", new TestScope().Add("s", "x").CompileError("s.Size"));
    }

    [Fact]
    public void A_member_missing_on_the_static_type_is_looked_up_on_the_runtime_type()
    {
        Order order = new SpecialOrder(2) { Reason = "late" };
        var scope = new TestScope().Add("order", order).Add<object>("boxed", order).Add<IShape>("shape", new Square { Side = 3 });
        Assert.Equal("late", scope.Value("order.Reason"));
        Assert.Equal("late", scope.Value("boxed.Reason"));
        Assert.Equal(2, scope.Value("boxed._id"));
        Assert.Equal(3.0, scope.Value("shape.Side"));
    }

    [Fact]
    public void A_dynamic_member_that_does_not_exist_is_a_runtime_error_naming_the_type()
    {
        var scope = new TestScope().Add<object>("boxed", new Order(1));
        Assert.Contains("'Order' has no field or auto-property 'Nope'", scope.RuntimeError("boxed.Nope"));
    }

    [Fact]
    public void Dynamic_member_access_never_runs_a_getter()
    {
        var order = new Order(1);
        var scope = new TestScope().Add<object>("boxed", order);
        Assert.Contains("has no field or auto-property 'Description'", scope.RuntimeError("boxed.Description"));
        Assert.Equal(0, order.GetterCalls);
    }

    [Fact]
    public void Allowed_framework_properties_can_be_read()
    {
        var scope = new TestScope().Add("order", SampleOrder()).Add("s", "hello").Add<int?>("n", 4)
            .Add("when", new DateTime(2024, 2, 29, 13, 0, 0)).Add("span", TimeSpan.FromMinutes(90));
        Assert.Equal(5, scope.Value("s.Length"));
        Assert.Equal(2, scope.Value("order.Tags.Count"));
        Assert.Equal(3, scope.Value("order.Scores.Length"));
        Assert.Equal(1, scope.Value("order.Quantities.Count"));
        Assert.Equal(true, scope.Value("n.HasValue"));
        Assert.Equal(4, scope.Value("n.Value"));
        Assert.Equal(2024, scope.Value("when.Year"));
        Assert.Equal(29, scope.Value("when.Day"));
        Assert.Equal(1.5, scope.Value("span.TotalHours"));
    }

    [Fact]
    public void Dynamic_access_reaches_allowed_framework_properties()
    {
        var scope = new TestScope().Add<object>("boxed", new List<int> { 1, 2, 3 }).Add<object>("text", "abcd");
        Assert.Equal(3, scope.Value("boxed.Count"));
        Assert.Equal(4, scope.Value("text.Length"));
    }

    [Fact]
    public void Indexers_read_arrays_lists_and_dictionaries()
    {
        var scope = new TestScope().Add("order", SampleOrder()).Add("grid", new int[,] { { 1, 2 }, { 3, 4 } }).Add("s", "xyz");
        Assert.Equal(6, scope.Value("order.Scores[1]"));
        Assert.Equal("express", scope.Value("order.Tags[1]"));
        Assert.Equal(4, scope.Value("order.Quantities[\"apple\"]"));
        Assert.Equal(3, scope.Value("grid[1, 0]"));
        Assert.Equal('z', scope.Value("s[2]"));
    }

    [Fact]
    public void Interface_typed_collections_are_indexed_through_their_framework_implementation()
    {
        IList<string> list = ["a", "b"];
        IDictionary<string, int> map = new Dictionary<string, int> { ["k"] = 9 };
        IReadOnlyList<int> ro = new List<int> { 4, 5 };
        var scope = new TestScope().Add("list", list).Add("map", map).Add("ro", ro).Add<object>("boxed", new List<int> { 8 });
        Assert.Equal("b", scope.Value("list[1]"));
        Assert.Equal(9, scope.Value("map[\"k\"]"));
        Assert.Equal(5, scope.Value("ro[1]"));
        Assert.Equal(8, scope.Value("boxed[0]"));
    }

    [Fact]
    public void Index_out_of_range_and_missing_keys_are_runtime_errors()
    {
        var scope = new TestScope().Add("order", SampleOrder());
        Assert.Contains("index out of range", scope.RuntimeError("order.Scores[10]"));
        Assert.Contains("index out of range", scope.RuntimeError("order.Tags[5]"));
        Assert.Contains("'pear'", scope.RuntimeError("order.Quantities[\"pear\"]"));
    }

    [Fact]
    public void Null_conditional_access_stops_at_null()
    {
        var withCustomer = SampleOrder();
        var without = new Order(2);
        var scope = new TestScope().Add("a", withCustomer).Add("b", without).Add<Order?>("none", null);
        Assert.Equal("Ada", scope.Value("a.Customer?.Name"));
        Assert.Null(scope.Value("b.Customer?.Name"));
        Assert.Null(scope.Value("b.Customer?.Name.Length"));
        Assert.Null(scope.Value("none?.Customer?.Name"));
        Assert.Equal(typeof(int?), scope.Compile("b.Customer?._visits").ResultType);
        Assert.Equal(3, scope.Value("a.Customer?._visits"));
        Assert.Equal(6, scope.Value("a.Scores?[1]"));
        Assert.Null(scope.Value("none?.Scores[1]"));
        Assert.Equal("none", scope.Value("b.Customer?.Name ?? \"none\""));
    }

    [Fact]
    public void Dereferencing_null_names_the_null_part()
    {
        var scope = new TestScope().Add("order", new Order(1));
        Assert.Equal("'order.Customer' is null", scope.RuntimeError("order.Customer.Name"));
    }

    [Fact]
    public void Fields_of_this_can_be_named_without_this()
    {
        var scope = new TestScope().Add("this", SampleOrder());
        Assert.Equal(17, scope.Value("_id"));
        Assert.Equal(120.5m, scope.Value("this.Total"));
    }

    [Fact]
    public void Constants_enum_members_and_framework_statics_can_be_read()
    {
        var scope = new TestScope();
        Assert.Equal(42, scope.Value("StaticHolder.Limit"));
        Assert.Equal(int.MaxValue, scope.Value("int.MaxValue"));
        Assert.Equal(Math.PI, scope.Value("Math.PI"));
        Assert.Equal("", scope.Value("string.Empty"));
        Assert.Equal(OrderStatus.Paid, scope.Value("Deep.Agent.Tests.Expressions.OrderStatus.Paid"));
        Assert.Equal(7, scope.Value("StaticHolder.Counter + 7"));
    }

    [Fact]
    public void Static_fields_of_a_type_with_a_static_constructor_are_refused_and_it_never_runs()
    {
        var scope = new TestScope();
        Assert.Contains("static constructor", scope.CompileError("WithStaticConstructor.Ran"));
        Assert.Equal(0, StaticConstructorProbe.Ran);
    }

    [Fact]
    public void Allowed_string_methods_work()
    {
        var scope = new TestScope().Add("s", "  Hello World  ").Add("name", "order-17");
        Assert.Equal(true, scope.Value("name.StartsWith(\"order\")"));
        Assert.Equal(true, scope.Value("name.EndsWith(\"17\")"));
        Assert.Equal(true, scope.Value("name.Contains('-')"));
        Assert.Equal(5, scope.Value("name.IndexOf(\"-\")"));
        Assert.Equal("ORDER-17", scope.Value("name.ToUpper()"));
        Assert.Equal("Hello World", scope.Value("s.Trim()"));
        Assert.Equal("17", scope.Value("name.Substring(6)"));
        Assert.Equal("ord", scope.Value("name.Substring(0, 3)"));
        Assert.Equal(true, scope.Value("string.IsNullOrEmpty(\"\")"));
        Assert.Equal(false, scope.Value("string.IsNullOrWhiteSpace(name)"));
        Assert.Equal("order_17", scope.Value("name.Replace('-', '_')"));
        Assert.Equal(true, scope.Value("name.StartsWith(\"ORDER\", StringComparison.OrdinalIgnoreCase)"));
        Assert.Equal(2.0, scope.Value("Math.Round(2.5, MidpointRounding.ToEven)"));
    }

    [Fact]
    public void Math_and_framework_ToString_are_allowed()
    {
        var scope = new TestScope().Add("x", -3.7).Add("n", 42).Add("status", OrderStatus.Paid).Add<object>("boxed", "abc");
        Assert.Equal(3.7, scope.Value("Math.Abs(x)"));
        Assert.Equal(42L, scope.Value("Math.Max(n, 7L)"));
        Assert.Equal(-4.0, scope.Value("Math.Floor(x)"));
        Assert.Equal("42", scope.Value("n.ToString()"));
        Assert.Equal("Paid", scope.Value("status.ToString()"));
        Assert.Equal(true, scope.Value("boxed.StartsWith(\"a\")"));
    }

    [Fact]
    public void Collection_searches_with_framework_keys_are_allowed()
    {
        var scope = new TestScope().Add("order", SampleOrder()).Add("set", new HashSet<int> { 1, 2 });
        Assert.Equal(true, scope.Value("order.Tags.Contains(\"gift\")"));
        Assert.Equal(false, scope.Value("order.Quantities.ContainsKey(\"pear\")"));
        Assert.Equal(true, scope.Value("set.Contains(2)"));
        Assert.Equal(1, scope.Value("order.Tags.IndexOf(\"express\")"));
    }

    [Fact]
    public void Reading_an_instance_field_never_runs_the_type_initializer()
    {
        var lazy = new LazyInitialized();
        Assert.Equal(0, LazyInitializedProbe.Ran);
        var scope = new TestScope().Add("typed", lazy).Add<object>("boxed", lazy);
        Assert.Equal(3, scope.Value("typed.Own"));
        Assert.Equal(3, scope.Value("boxed.Own"));
        Assert.Equal(0, LazyInitializedProbe.Ran);
    }

    [Fact]
    public void An_ambiguous_type_name_lists_the_candidates_and_a_full_name_resolves_it()
    {
        var scope = new TestScope().Add("mode", Shipping.Mode.Sea);
        var error = scope.CompileError("mode == Mode.Sea");
        Assert.Contains("type name 'Mode' is ambiguous", error);
        Assert.Contains("Deep.Agent.Tests.Expressions.Billing.Mode", error);
        Assert.Equal(true, scope.Value("mode == Deep.Agent.Tests.Expressions.Shipping.Mode.Sea"));
    }
}
