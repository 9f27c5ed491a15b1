namespace Deep.Agent.Tests.Expressions;

public class OperatorTests
{
    private readonly TestScope _scope = new TestScope()
        .Add("i", 7)
        .Add("l", 10L)
        .Add("d", 2.5)
        .Add("m", 1.25m)
        .Add("b", (byte)3)
        .Add("u", 4u)
        .Add("c", 'a')
        .Add("s", "text")
        .Add<string?>("nothing", null)
        .Add<int?>("maybe", 5)
        .Add<int?>("none", null)
        .Add("flag", true)
        .Add("status", OrderStatus.Paid)
        .Add<object>("boxedInt", 7)
        .Add<object>("boxedLong", 7L)
        .Add<object>("boxedText", "text")
        .Add("now", new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc))
        .Add("later", new DateTime(2024, 5, 7, 7, 8, 9, DateTimeKind.Utc));

    [Fact]
    public void Arithmetic_follows_CSharp_precedence_and_types()
    {
        Assert.Equal(7 + 2 * 3, _scope.Value("i + 2 * 3"));
        Assert.Equal((7 + 2) * 3, _scope.Value("(i + 2) * 3"));
        Assert.Equal(7 / 2, _scope.Value("i / 2"));
        Assert.Equal(7 % 4, _scope.Value("i % 4"));
        Assert.Equal(-7, _scope.Value("-i"));
        Assert.Equal(~7, _scope.Value("~i"));
    }

    [Fact]
    public void Mixed_numeric_types_promote_as_in_CSharp()
    {
        int i = 7; long l = 10; double d = 2.5; decimal m = 1.25m; byte b = 3; uint u = 4; char c = 'a';
        Assert.Equal(i + l, _scope.Value("i + l"));
        Assert.Equal(i * d, _scope.Value("i * d"));
        Assert.Equal(i + m, _scope.Value("i + m"));
        Assert.Equal(b + b, _scope.Value("b + b"));
        Assert.Equal(i + u, _scope.Value("i + u"));
        Assert.Equal(c + 1, _scope.Value("c + 1"));
        Assert.Equal(typeof(long), _scope.Compile("i + u").ResultType);
        Assert.Equal(typeof(int), _scope.Compile("b + b").ResultType);
    }

    [Fact]
    public void Comparisons_across_numeric_types_compare_values()
    {
        Assert.Equal(true, _scope.Value("i < l"));
        Assert.Equal(true, _scope.Value("d < i"));
        Assert.Equal(true, _scope.Value("m < 2"));
        Assert.Equal(true, _scope.Value("i == 7.0"));
        Assert.Equal(true, _scope.Value("c == 97"));
        Assert.Equal(false, _scope.Value("i != 7"));
        Assert.Equal(true, _scope.Value("b >= 3 && u <= 4"));
    }

    [Fact]
    public void Decimal_and_double_do_not_mix_as_in_CSharp() =>
        Assert.Contains("decimal cannot be mixed", _scope.CompileError("m + d"));

    [Fact]
    public void String_equality_is_by_value_not_by_reference()
    {
        var built = new string(['t', 'e', 'x', 't']);
        var scope = new TestScope().Add("a", "text").Add("b", built);
        Assert.Equal(true, scope.Value("a == b"));
        Assert.Equal(false, scope.Value("a != b"));
        Assert.Equal(true, scope.Value("b == \"text\""));
    }

    [Fact]
    public void Dynamic_values_compare_with_numeric_promotion_at_run_time()
    {
        Assert.Equal(true, _scope.Value("boxedInt == 7"));
        Assert.Equal(true, _scope.Value("boxedLong == boxedInt"));
        Assert.Equal(true, _scope.Value("boxedLong > 6.5"));
        Assert.Equal(true, _scope.Value("boxedText == \"text\""));
        Assert.Equal(14, _scope.Value("boxedInt + 7"));
        Assert.Equal(14L, _scope.Value("boxedLong * 2"));
    }

    [Fact]
    public void Logical_operators_short_circuit()
    {
        // If && did not short-circuit, the right side would dereference null.
        Assert.Equal(false, _scope.Value("nothing != null && nothing.Length > 0"));
        Assert.Equal(true, _scope.Value("nothing == null || nothing.Length > 0"));
        Assert.Equal(false, _scope.Value("!flag"));
        Assert.Equal(true, _scope.Value("flag ^ false"));
    }

    [Fact]
    public void Logical_operators_need_booleans() =>
        Assert.Contains("needs a bool", _scope.CompileError("i && flag"));

    [Fact]
    public void Conditional_operator_unifies_branch_types()
    {
        Assert.Equal(2.5, _scope.Value("flag ? d : i"));
        Assert.Equal(7.0, _scope.Value("!flag ? d : i"));
        Assert.Null(_scope.Value("flag ? null : s"));
        Assert.Equal(typeof(int?), _scope.Compile("flag ? i : null").ResultType);
    }

    [Fact]
    public void Null_coalescing_uses_the_right_side_only_for_null()
    {
        Assert.Equal("fallback", _scope.Value("nothing ?? \"fallback\""));
        Assert.Equal("text", _scope.Value("s ?? \"fallback\""));
        Assert.Equal(5, _scope.Value("maybe ?? 0"));
        Assert.Equal(0, _scope.Value("none ?? 0"));
        Assert.Equal(typeof(int), _scope.Compile("none ?? 0").ResultType);
    }

    [Fact]
    public void Coalescing_a_value_that_is_never_null_is_an_error() =>
        Assert.Contains("never null", _scope.CompileError("i ?? 3"));

    [Fact]
    public void Nullable_arithmetic_and_comparison_are_lifted()
    {
        Assert.Equal(6, _scope.Value("maybe + 1"));
        Assert.Null(_scope.Value("none + 1"));
        Assert.Equal(false, _scope.Value("none > 1"));
        Assert.Equal(true, _scope.Value("maybe == 5"));
        Assert.Equal(true, _scope.Value("none == null"));
    }

    [Fact]
    public void Is_null_and_is_not_null_test_references_and_nullables()
    {
        Assert.Equal(true, _scope.Value("nothing is null"));
        Assert.Equal(false, _scope.Value("s is null"));
        Assert.Equal(true, _scope.Value("s is not null"));
        Assert.Equal(true, _scope.Value("none is null"));
        Assert.Equal(true, _scope.Value("maybe is not null"));
    }

    [Fact]
    public void Other_patterns_are_refused_clearly() =>
        Assert.Contains("only 'is null' and 'is not null'", _scope.CompileError("s is string"));

    [Fact]
    public void Casts_convert_numbers_like_CSharp()
    {
        Assert.Equal(2, _scope.Value("(int)d"));
        Assert.Equal(7L, _scope.Value("(long)i"));
        Assert.Equal((byte)(300 % 256), _scope.Value("(byte)300"));
        Assert.Equal(1, _scope.Value("(int)status"));
        Assert.Equal(OrderStatus.Shipped, _scope.Value("(OrderStatus)2"));
        Assert.Equal(7, _scope.Value("(int)boxedInt"));
        Assert.Equal(7, _scope.Value("(int)boxedLong"));
        Assert.Equal(3, _scope.Value("(i) - 4"));
    }

    [Fact]
    public void An_impossible_cast_is_a_compile_error() =>
        Assert.Contains("cannot cast string to int", _scope.CompileError("(int)s"));

    [Fact]
    public void An_invalid_cast_at_run_time_is_an_error_result() =>
        Assert.Contains("cannot convert", _scope.RuntimeError("(int)boxedText"));

    [Fact]
    public void Enums_compare_with_their_members_and_with_their_names()
    {
        Assert.Equal(true, _scope.Value("status == OrderStatus.Paid"));
        Assert.Equal(true, _scope.Value("status == \"Paid\""));
        Assert.Equal(true, _scope.Value("status > OrderStatus.Pending"));
        Assert.Contains("'Lost' is not a value of OrderStatus", _scope.CompileError("status == \"Lost\""));
    }

    [Fact]
    public void String_concatenation_formats_values_without_running_user_code()
    {
        var order = new Order(3);
        var scope = new TestScope().Add("order", order).Add("n", 2.5).Add("flag", true);
        Assert.Equal("n=2.5 flag=true order=Order", scope.Value("\"n=\" + n + \" flag=\" + flag + \" order=\" + order"));
        Assert.Equal(0, order.GetterCalls);
    }

    [Fact]
    public void Framework_value_types_use_their_own_operators()
    {
        Assert.Equal(TimeSpan.FromDays(1), _scope.Value("later - now"));
        Assert.Equal(true, _scope.Value("later > now"));
        Assert.Equal(true, _scope.Value("now + (later - now) == later"));
        Assert.Equal(true, _scope.Value("now.AddDays(1) == later"));
    }

    [Fact]
    public void Strings_cannot_be_ordered_with_relational_operators() =>
        Assert.Contains("string.Compare", _scope.CompileError("s < \"z\""));

    [Fact]
    public void Bitwise_and_shift_operators_work_on_integers()
    {
        Assert.Equal(7 & 3, _scope.Value("i & 3"));
        Assert.Equal(7 | 8, _scope.Value("i | 8"));
        Assert.Equal(7 << 2, _scope.Value("i << 2"));
        Assert.Equal(10L >> 1, _scope.Value("l >> 1"));
    }
}
