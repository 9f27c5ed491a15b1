using System.Text;
using Deep.Agent.Expressions;

namespace Deep.Agent.Tests.Expressions;

/// <summary>
/// Issue #12, items 1 and 2: hostile expressions are refused or stopped with an error, never crash or stall the
/// application. Deep nesting (every shape the grammar nests) is refused when compiled; calls whose cost grows with an
/// argument or input are refused before they run; an evaluation stops at its time budget.
/// </summary>
public class HardeningTests
{
    private const int Limit = ExpressionLimits.MaxNestingDepth;

    private static TestScope Scope() => new TestScope()
        .Add("x", 5).Add("b", true).Add("s", "abc").Add("zero", new[] { 0 }).Add<object>("o", "abc").Add("n", (int?)5);

    /// <summary>Runs <paramref name="action"/> on a thread with a small stack, so a missing depth limit fails here rather than hiding behind a big stack.</summary>
    internal static void OnSmallStack(Action action) => OnStack(256 * 1024, action);

    /// <summary>Runs <paramref name="action"/> on a thread with a stack of <paramref name="bytes"/>.</summary>
    internal static void OnStack(int bytes, Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, bytes);
        thread.Start();
        thread.Join();
        if (failure != null)
        {
            throw new InvalidOperationException("failed on the small-stack thread", failure);
        }
    }

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    // Each shape nests the tree n levels deep.
    public static TheoryData<string> Shapes() => new()
    {
        "parentheses", "not", "minus", "complement", "cast", "and-chain", "or-chain", "plus-chain", "comparison-chain",
        "member-chain", "call-chain", "nested-call", "nested-index", "ternary", "coalesce", "null-conditional", "is-null-chain",
    };

    private static string Nest(string shape, int n) => shape switch
    {
        "parentheses" => Repeat("(", n) + "x" + Repeat(")", n),
        "not" => Repeat("!", n) + "b",
        "minus" => Repeat("- ", n) + "x",
        "complement" => Repeat("~", n) + "x",
        "cast" => Repeat("(int)", n) + "x",
        "and-chain" => Repeat("b && ", n) + "b",
        "or-chain" => Repeat("b||", n) + "b",
        "plus-chain" => Repeat("x+", n) + "x",
        "comparison-chain" => "b" + Repeat(" == b", n),
        "member-chain" => "s" + Repeat(".Length.ToString()", n / 2 + 1),
        "call-chain" => "s" + Repeat(".Trim()", n),
        "nested-call" => Repeat("Math.Abs(", n) + "x" + Repeat(")", n),
        "nested-index" => Repeat("zero[", n) + "0" + Repeat("]", n),
        "ternary" => Repeat("b ? x : ", n) + "x",
        "coalesce" => Repeat("n ?? ", n) + "x",
        "null-conditional" => "s" + Repeat("?.Trim()", n),
        "is-null-chain" => "s" + Repeat(" is not null", n),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Nesting_deeper_than_the_limit_is_a_compile_error_for_every_shape(string shape)
    {
        foreach (var n in new[] { Limit + 1, 2 * Limit, 600 })
        {
            var source = Nest(shape, n);
            if (n == 600 && source.Length > ExpressionLimits.MaxExpressionLength)
            {
                continue; // a shape with long steps: refused by length, tested below
            }
            Assert.True(source.Length <= ExpressionLimits.MaxExpressionLength, shape + " " + n + " is " + source.Length + " characters");
            // A 1 MB stack, less than .NET's default for a new thread: the limit, not the stack, refuses it.
            string? error = null;
            OnStack(1024 * 1024, () => error = Scope().Compile(source).Error);
            Assert.NotNull(error);
            Assert.Contains("nested more than " + Limit + " levels deep (at position ", error);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Very_long_hostile_expressions_are_refused_by_length_on_a_small_stack(string shape)
    {
        foreach (var n in new[] { 2_000, 100_000 })
        {
            var source = Nest(shape, n);
            string? error = null;
            OnSmallStack(() => error = Scope().Compile(source).Error);
            Assert.NotNull(error);
            // On a 256 KB stack the stack check may refuse a deep one before the depth limit does: an error either way.
            Assert.Contains(source.Length > ExpressionLimits.MaxExpressionLength
                ? "characters long; at most " + ExpressionLimits.MaxExpressionLength + " are allowed"
                : "the expression is nested ", error);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Moderate_nesting_still_compiles_and_evaluates(string shape)
    {
        var source = Nest(shape, 30);
        var scope = Scope();
        var compiled = scope.Compile(source);
        Assert.True(compiled.Error == null, shape + ": " + compiled.Error);
        Assert.False(compiled.Evaluate(scope).IsError);
    }

    [Fact]
    public void The_nesting_limit_is_exact_for_parentheses()
    {
        var scope = Scope();
        // The whole expression is one level; each pair of parentheses another.
        Assert.Equal(5, scope.Value(Nest("parentheses", Limit - 1)));
        var error = scope.CompileError(Nest("parentheses", Limit));
        Assert.Equal("the expression is nested more than " + Limit + " levels deep (at position " + Limit + ")", error);
    }

    [Fact]
    public void A_long_dotted_unknown_name_is_looked_up_as_a_type_a_bounded_number_of_times()
    {
        // Each prefix (nobody.a, nobody.a.a, ...) would be searched for in every loaded assembly: only the first 16 are.
        Assert.Contains("unknown name 'nobody'", Scope().CompileError("nobody" + Repeat(".a", Limit - 1)));
        // Each link of a member chain is a level, so a longer chain is refused by its syntax, before any lookup.
        Assert.Contains("nested more than " + Limit + " levels deep", Scope().CompileError("nobody" + Repeat(".a", 2000)));
    }

    [Fact]
    public void A_long_shallow_expression_within_the_length_limit_compiles()
    {
        var literal = "\"" + new string('a', ExpressionLimits.MaxExpressionLength - 20) + "\"";
        Assert.Equal(ExpressionLimits.MaxExpressionLength - 20, Scope().Value(literal + ".Length"));
    }

    [Fact]
    public void A_refused_expression_is_abbreviated_in_messages()
    {
        var source = Nest("parentheses", 50_000);
        var compiled = Scope().Compile(source);
        Assert.True(compiled.Error!.Length < 200, compiled.Error);
        Assert.Equal(100 + "... (100001 characters)".Length, ExpressionLimits.Abbreviate(source).Length);
    }

    // ------------------------------------------------------------------ log templates

    [Fact]
    public void Log_templates_refuse_deep_and_huge_shapes()
    {
        var scope = Scope();
        Assert.Contains("nested more than " + Limit + " levels deep", LogTemplate<TestScope>.Compile("v={" + Nest("parentheses", 300) + "}", scope).Error);
        Assert.Contains("nested more than " + Limit + " levels deep", LogTemplate<TestScope>.Compile("v={" + Nest("not", 300) + "}", scope).Error);
        // Braces do not nest in a template: '{' inside an expression is refused, '{{' is a literal brace.
        Assert.Contains("unexpected '{'", LogTemplate<TestScope>.Compile("{" + Repeat("({", 200) + "x" + Repeat("})", 200) + "}", scope).Error);
        var braces = LogTemplate<TestScope>.Compile(Repeat("{{", 4000) + Repeat("}}", 4000), scope);
        Assert.Null(braces.Error);
        Assert.Equal(Repeat("{", 4000) + Repeat("}", 4000), braces.Render(scope));
        Assert.Contains("the log template is " + (ExpressionLimits.MaxTemplateLength + 1) + " characters long",
            LogTemplate<TestScope>.Compile(new string('a', ExpressionLimits.MaxTemplateLength + 1), scope).Error);
        Assert.Contains("more than " + ExpressionLimits.MaxTemplateExpressions + " {expressions}",
            LogTemplate<TestScope>.Compile(Repeat("{x}", ExpressionLimits.MaxTemplateExpressions + 1), scope).Error);
        var full = LogTemplate<TestScope>.Compile(Repeat("{x}", ExpressionLimits.MaxTemplateExpressions), scope);
        Assert.Null(full.Error);
        Assert.Equal(Repeat("5", ExpressionLimits.MaxTemplateExpressions), full.Render(scope));
    }

    // ------------------------------------------------------------------ bounded members

    private static readonly string Huge = new('x', 200_000);
    private static readonly string TooLong = new('a', ExpressionLimits.MaxInputLength + 1);
    private static readonly List<int> BigList = Enumerable.Range(0, ExpressionLimits.MaxCollectionScan + 1).ToList();
    private static readonly HashSet<int> BigSet = [.. BigList];

    private static TestScope BigScope() => new TestScope()
        .Add("s", "abc").Add("huge", Huge).Add<object>("boxedHuge", Huge).Add("x", 5).Add("tooLong", TooLong)
        .Add("builder", new StringBuilder().Append('z', 100_000)).Add("bigList", BigList).Add("bigSet", BigSet)
        .Add("smallList", new List<int> { 1, 2, 3 }).Add("needle", new string('x', 1000));

    [Theory]
    [InlineData("s.PadLeft(1000000000).Length", "could create a string of 1000000000 characters")]
    [InlineData("s.PadRight(int.MaxValue)", "could create a string of 2147483647 characters")]
    [InlineData("s.PadLeft(70000, '.')", "could create a string of 70000 characters")]
    [InlineData("huge.Replace(\"x\", \"yy\")", "could create a string of 400000 characters")]
    [InlineData("huge.Replace('x', 'y')", "could create a string of 200000 characters")]
    [InlineData("huge.Replace(\"x\", \"yy\", StringComparison.CurrentCulture)", "could create a string of")]
    [InlineData("huge.ToUpper()", "could create a string of 200000 characters")]
    [InlineData("huge.ToLowerInvariant().Length", "could create a string of 200000 characters")]
    [InlineData("huge.Trim()", "could create a string of 200000 characters")]
    [InlineData("huge + huge", "could create a string of 400000 characters")]
    [InlineData("huge + x", "could create a string of 200001 characters")]
    [InlineData("s.Insert(1, huge)", "could create a string of 200003 characters")]
    [InlineData("string.Concat(huge, s)", "could create a string of 200003 characters")]
    [InlineData("huge.Split(',', StringSplitOptions.None).Length", "could create a string of 200000 characters")]
    [InlineData("huge.Split(\"x\", StringSplitOptions.None).Length", "could create a string of 200000 characters")]
    [InlineData("huge.Substring(1)", "could create a string of 199999 characters")]
    [InlineData("x.ToString(\"D999999999\")", "could create a string of 1000000063 characters")]
    [InlineData("builder.ToString()", "could create a string of 100000 characters")]
    [InlineData("tooLong.Contains(\"ab\")", "would read a string of 1048577 characters")]
    [InlineData("tooLong.StartsWith(\"a\")", "would read a string of 1048577 characters")]
    [InlineData("s.Contains(tooLong)", "would read a string of 1048577 characters")]
    [InlineData("huge.Contains(needle)", "would search 200000 characters for 1000 characters")]
    [InlineData("huge.IndexOf(needle, StringComparison.Ordinal)", "would search 200000 characters for 1000 characters")]
    [InlineData("huge.Replace(needle, s)", "would search 200000 characters for 1000 characters")]
    [InlineData("bigList.Contains(-1)", "would search 1048577 items")]
    [InlineData("bigList.IndexOf(-1)", "would search 1048577 items")]
    [InlineData("boxedHuge.PadLeft(1000000000)", "could create a string of 1000000000 characters")]
    [InlineData("boxedHuge.Replace(\"x\", \"yyy\")", "could create a string of 600000 characters")]
    [InlineData("boxedHuge + boxedHuge", "could create a string of 400000 characters")]
    public void A_call_that_could_grow_past_a_limit_is_an_error_before_it_runs(string source, string message)
    {
        var scope = BigScope();
        var compiled = scope.Compile(source);
        Assert.True(compiled.Error == null, compiled.Error);
        Assert.True(compiled.IsTimed);
        compiled.Evaluate(scope); // warm: JIT compilation allocates
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = compiled.Evaluate(scope);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(result.IsError, source + " evaluated to " + result.Value);
        Assert.Contains(message, result.Error);
        Assert.True(allocated < 64 * 1024, source + " allocated " + allocated + " bytes before it was refused");
    }

    [Fact]
    public void A_long_format_is_refused_before_it_runs()
    {
        var format = new string('d', 300);
        var scope = BigScope().Add("format", format);
        Assert.Contains("has a format of 300 characters", scope.RuntimeError("DateTime.Now.ToString(format)"));
        Assert.Contains("has a format of 300 characters", scope.RuntimeError("x.ToString(format)"));
        Assert.Equal("0005", scope.Value("x.ToString(\"0000\")"));
    }

    [Fact]
    public void A_refused_condition_does_not_fire_and_says_why()
    {
        var scope = BigScope();
        Assert.False(scope.Compile("huge.Replace(\"x\", \"yy\").Length > 0").EvaluateCondition(scope, out var error));
        Assert.Contains("could create a string of 400000 characters", error);
    }

    [Theory]
    [InlineData("s.PadLeft(10)", "       abc")]
    [InlineData("s.PadRight(5, '.')", "abc..")]
    [InlineData("s.Replace(\"b\", \"BB\")", "aBBc")]
    [InlineData("huge.Substring(0, 3)", "xxx")]
    [InlineData("huge.Remove(3)", "xxx")]
    [InlineData("huge.Remove(0, 199997)", "xxx")]
    [InlineData("s + \"!\" + x", "abc!5")]
    [InlineData("string.Concat(s, s)", "abcabc")]
    [InlineData("x.ToString(\"D5\")", "00005")]
    [InlineData("huge.Substring(0, 65536).Replace(\"x\", \"y\").Length.ToString()", "65536")]
    [InlineData("huge.IndexOf(\"xy\").ToString()", "-1")]
    [InlineData("huge.Contains('y').ToString()", "False")]
    [InlineData("bigSet.Contains(-1).ToString()", "False")]
    [InlineData("smallList.Contains(2).ToString()", "True")]
    public void Calls_within_the_limits_still_work(string source, string expected) =>
        Assert.Equal(expected, BigScope().Value(source));

    [Fact]
    public void Keys_and_Values_of_a_concurrent_dictionary_are_refused_they_copy_every_entry()
    {
        var map = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        map["a"] = 1;
        var scope = new TestScope().Add("map", map).Add<object>("boxed", map);
        Assert.Contains("property 'Keys' of ConcurrentDictionary<string, int> is not", scope.CompileError("map.Keys"));
        Assert.Contains("no field or auto-property 'Values'", scope.RuntimeError("boxed.Values"));
        Assert.Equal(1, scope.Value("map.Count"));
        Assert.Equal(1, scope.Value("map[\"a\"]"));
    }

    // ------------------------------------------------------------------ budget during evaluation

    [Fact]
    public void An_evaluation_stops_at_its_budget_instead_of_running_to_the_end()
    {
        var haystack = new string('a', ExpressionLimits.MaxInputLength);
        var scope = new TestScope().Add("s", haystack);
        var source = string.Join(" + ", Enumerable.Repeat("s.IndexOf(\"ab\")", 40));
        var compiled = ExpressionCompiler.Compile<TestScope>(source, scope, TimeSpan.FromTicks(1));
        Assert.Null(compiled.Error);
        compiled.Evaluate(scope); // the first evaluation may take longer (JIT)
        var second = compiled.Evaluate(scope);
        Assert.True(second.IsError);
        Assert.StartsWith("stopped at 's.IndexOf(\"ab\")': the evaluation took over its budget of ", second.Error);
        // Two evaluations over the budget disable it: later ones do not run at all.
        Assert.StartsWith("disabled: ", compiled.Evaluate(scope).Error);
    }

    [Fact]
    public void A_condition_stops_at_its_budget_too()
    {
        var scope = new TestScope().Add("s", new string('a', ExpressionLimits.MaxInputLength));
        var source = string.Join(" || ", Enumerable.Repeat("s.Contains(\"ab\")", 40));
        var compiled = ExpressionCompiler.Compile<TestScope>(source, scope, TimeSpan.FromTicks(1));
        compiled.EvaluateCondition(scope, out _);
        Assert.False(compiled.EvaluateCondition(scope, out var error));
        Assert.StartsWith("stopped at 's.Contains(\"ab\")'", error);
    }

    [Fact]
    public void Cheap_expressions_never_read_the_clock()
    {
        // Not timed: no deadline, so they cannot be stopped (and pay nothing for it), whatever the budget.
        var scope = Scope();
        var compiled = ExpressionCompiler.Compile<TestScope>("x > 100 || (x * 2 == 10 && b)", scope, TimeSpan.FromTicks(1));
        Assert.False(compiled.IsTimed);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(compiled.EvaluateCondition(scope, out var error), error);
        }
    }
}
