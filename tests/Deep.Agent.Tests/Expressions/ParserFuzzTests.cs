using System.Diagnostics;
using System.Text;
using Deep.Agent.Expressions;
using Deep.Tracepoints.Expressions;
using LinqExpression = System.Linq.Expressions.Expression;

namespace Deep.Agent.Tests.Expressions;

/// <summary>
/// Fuzzes the expression parser and binder with a fixed seed: expressions from the grammar (some nested past the limit), byte
/// mutations of them, and noise. Each input must compile or be refused with an <see cref="ExpressionSyntaxException"/>,
/// never another exception, and never overflow the stack: it runs on a thread with a small stack, so a missing depth
/// limit fails this test (or kills the run) instead of hiding behind the default stack. Whatever compiles is also
/// evaluated, which must return a value or an error and never throw.
/// </summary>
public class ParserFuzzTests
{
    private const int Seed = 20261207;
    private const int Inputs = 3000;
    private static readonly TimeSpan TimeCap = TimeSpan.FromSeconds(30);

    private static readonly string[] Atoms =
    [
        "x", "b", "s", "n", "o", "zero", "items", "map", "0", "1", "-1", "42", "0x2A", "0b101", "1_000", "10L", "3u", "2.5",
        "1e3", "9.99m", "1.5f", "\"text\"", "\"a\\tb\\u0041\"", "@\"c:\\x\"", "'c'", "'\\n'", "true", "false", "null",
        "int.MaxValue", "Math.PI", "DateTime.UtcNow", "StringComparison.Ordinal", "this", "unknown",
    ];

    private static readonly string[] Binary =
    [
        "+", "-", "*", "/", "%", "<<", ">>", "<", ">", "<=", ">=", "==", "!=", "&", "^", "|", "&&", "||", "??",
    ];

    private static readonly string[] Postfix =
    [
        ".Length", ".Trim()", ".ToUpper()", ".PadLeft(5)", ".PadLeft(100000000)", ".Replace(\"a\", \"bb\")", ".Substring(1)",
        ".Contains(\"b\")", ".IndexOf('b')", ".ToString()", ".HasValue", ".Value", ".Count", "[0]", "[\"k\"]", "?.Length",
        "?[0]", ".Split(',', StringSplitOptions.None)", ".Insert(0, s)", ".Missing", ".GetType()", "(1)",
    ];

    private static readonly string[] Casts = ["(int)", "(long)", "(double)", "(object)", "(string)", "(int?)", "(byte)", "(DateTime)"];

    private const string Noise = "()[]{}.,;:?!~+-*/%<>=&|^\"'@\\ \t\nabcxyz_019.$#`\u00e9\u4e2d\ud800";

    [Fact]
    public void Random_and_mutated_expressions_compile_or_are_refused_with_a_syntax_error()
    {
        var failures = new List<string>();
        var stats = new int[3]; // compiled, refused, evaluated
        var ran = 0;
        HardeningTests.OnSmallStack(() =>
        {
            var random = new Random(Seed);
            var scope = new TestScope()
                .Add("x", 5).Add("b", true).Add("s", "a,b").Add("n", (int?)null).Add<object>("o", "abc").Add("zero", new[] { 0 })
                .Add("items", new List<int> { 1, 2 }).Add("map", new Dictionary<string, int> { ["k"] = 1 });
            var context = LinqExpression.Parameter(typeof(TestScope), "context");
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Inputs && clock.Elapsed < TimeCap; i++, ran++)
            {
                var source = (i % 4) switch
                {
                    0 => Generate(random, random.Next(1, 140)),
                    1 => Mutate(random, Generate(random, random.Next(1, 10))),
                    2 => Typed(random, random.Next(3), random.Next(1, 110)),
                    _ => RandomText(random),
                };
                Check(source, scope, context, failures, stats);
            }
        });
        Assert.True(failures.Count == 0, failures.Count + " of " + ran + " inputs failed:\n" + string.Join("\n", failures.Take(20)));
        // The generator is not degenerate: it produces both valid and refused expressions.
        Assert.True(stats[0] > ran / 20, "only " + stats[0] + " of " + ran + " compiled");
        Assert.True(stats[1] > ran / 20, "only " + stats[1] + " of " + ran + " were refused");
    }

    private static void Check(string source, TestScope scope, System.Linq.Expressions.ParameterExpression context, List<string> failures, int[] stats)
    {
        try
        {
            Binder.Value(new SyntaxBinder(Parser.Parse(source), scope, context).Bind());
        }
        catch (ExpressionSyntaxException)
        {
            stats[1]++;
            return;
        }
        catch (Exception e)
        {
            failures.Add(Show(source) + " => " + e.GetType().Name + ": " + e.Message);
            return;
        }
        // Compiling to IL costs milliseconds: every 4th expression that parsed is compiled and evaluated.
        if (stats[0]++ % 4 != 0)
        {
            return;
        }
        try
        {
            var compiled = scope.Compile(source);
            if (compiled.Error != null)
            {
                // Parsed, so only the stack check may refuse it here (the compiler adds frames); never LINQ.
                if (!compiled.Error.StartsWith("the expression is nested too deeply for the stack", StringComparison.Ordinal))
                {
                    failures.Add(Show(source) + " parsed but did not compile: " + compiled.Error);
                }
                return;
            }
            compiled.Evaluate(scope);
            compiled.EvaluateCondition(scope, out _);
            stats[2]++;
        }
        catch (Exception e)
        {
            failures.Add(Show(source) + " => evaluation threw " + e.GetType().Name + ": " + e.Message);
        }
    }

    private static string Show(string source) => source.Length <= 300 ? source : source[..300] + "... (" + source.Length + " characters)";

    // An expression from the grammar, nested up to depth (past the limit now and then: those must be refused), of at
    // most about 2 x depth nodes so its size stays linear.
    private static string Generate(Random random, int depth)
    {
        int[] budget = [2 * depth + 2];
        return Generate(random, depth, budget);
    }

    private static string Generate(Random random, int depth, int[] budget)
    {
        if (depth <= 0 || --budget[0] <= 0)
        {
            return Atoms[random.Next(Atoms.Length)];
        }
        switch (random.Next(9))
        {
            case 0: return "(" + Generate(random, depth - 1, budget) + ")";
            case 1: return "!-~+"[random.Next(4)] + " " + Generate(random, depth - 1, budget);
            case 2: return Casts[random.Next(Casts.Length)] + Generate(random, depth - 1, budget);
            case 3: return Generate(random, depth - 1, budget) + Postfix[random.Next(Postfix.Length)];
            case 4:
                var condition = Generate(random, depth - 1, budget);
                var whenTrue = Generate(random, random.Next(depth), budget);
                return condition + " ? " + whenTrue + " : " + Generate(random, random.Next(depth), budget);
            case 5:
                var first = Generate(random, depth - 1, budget);
                return "Math.Max(" + first + ", " + Generate(random, random.Next(depth), budget) + ")";
            case 6: return Generate(random, depth - 1, budget) + (random.Next(2) == 0 ? " is null" : " is not null");
            default:
                var left = Generate(random, depth - 1, budget);
                return left + " " + Binary[random.Next(Binary.Length)] + " " + Generate(random, random.Next(depth), budget);
        }
    }

    // A well-typed expression (0: int, 1: bool, 2: string), so a good share compiles and is evaluated.
    private static string Typed(Random random, int type, int depth)
    {
        int[] budget = [2 * depth + 2];
        return Typed(random, type, depth, budget);
    }

    private static string Typed(Random random, int type, int depth, int[] budget)
    {
        if (depth <= 0 || --budget[0] <= 0)
        {
            return type switch { 0 => random.Next(2) == 0 ? "x" : "3", 1 => "b", _ => random.Next(2) == 0 ? "s" : "\"t\"" };
        }
        string Same() => Typed(random, type, depth - 1, budget);
        string Other(int t) => Typed(random, t, random.Next(depth), budget);
        var choice = random.Next(5);
        switch (type)
        {
            case 0:
                return choice switch
                {
                    0 => "(" + Same() + ")",
                    1 => "- " + Same(),
                    2 => "(" + Same() + " " + "+-*%&|^"[random.Next(7)] + " " + Other(0) + ")",
                    3 => "(" + Other(2) + ").Length",
                    _ => "(" + Other(1) + " ? " + Same() + " : " + Other(0) + ")",
                };
            case 1:
                return choice switch
                {
                    0 => "!" + Same(),
                    1 => "(" + Same() + (random.Next(2) == 0 ? " && " : " || ") + Other(1) + ")",
                    2 => "(" + Other(0) + " < " + Other(0) + ")",
                    3 => "(" + Other(2) + ").Contains(" + Other(2) + ")",
                    _ => "(" + Same() + ")",
                };
            default:
                return choice switch
                {
                    0 => "(" + Same() + ").Trim()",
                    1 => "(" + Same() + " + " + Other(random.Next(3)) + ")",
                    2 => "(" + Same() + ").PadLeft(" + Other(0) + ")",
                    3 => "(" + Same() + ").Replace(\"a\", " + Other(2) + ")",
                    _ => "(" + Same() + ")",
                };
        }
    }

    private static string Mutate(Random random, string source)
    {
        var text = new StringBuilder(source);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits; e++)
        {
            var at = text.Length == 0 ? 0 : random.Next(text.Length);
            switch (random.Next(6))
            {
                case 0:
                    text.Insert(at, Noise[random.Next(Noise.Length)]);
                    break;
                case 1:
                    if (text.Length > 0) text.Remove(at, 1);
                    break;
                case 2:
                    if (text.Length > 0) text[at] = Noise[random.Next(Noise.Length)];
                    break;
                case 3:
                    // Repeat a slice many times: deep nesting or long chains of whatever is there.
                    var length = Math.Min(text.Length - at, random.Next(1, 6));
                    text.Insert(at, text.ToString(at, length), random.Next(2, 3000 / Math.Max(1, length)));
                    break;
                case 4:
                    text.Length = at;
                    break;
                default:
                    text.Insert(at, "((((((((((((((((((((".AsSpan(0, random.Next(1, 20)));
                    break;
            }
        }
        return text.ToString();
    }

    private static string RandomText(Random random)
    {
        var text = new StringBuilder();
        var length = random.Next(0, 60);
        for (var i = 0; i < length; i++)
        {
            text.Append(random.Next(3) == 0 ? Atoms[random.Next(Atoms.Length)] : Noise[random.Next(Noise.Length)].ToString());
        }
        return text.ToString();
    }
}
