using System.Linq.Expressions;
using BenchmarkDotNet.Attributes;
using Deep.Agent.Expressions;

namespace Deep.Benchmarks;

/// <summary>
/// A compiled expression against the same C# written as a lambda: a condition on a local, a member chain, a string
/// method. The context is typed (as the probe's hit state is), so nothing is boxed on the condition path.
/// </summary>
[MemoryDiagnoser]
// BenchmarkDotNet 0.14 has no Net10_0 moniker: the job runs on the current runtime (.NET 10).
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 5)]
public class ExpressionBenchmarks
{
    /// <summary>A hit's values, as typed fields.</summary>
    public sealed class Hit
    {
        public int X = 150;
        public BenchOrder Order = new() { Customer = new BenchCustomer { Name = "Ada Lovelace" }, Total = 250m };
        public string Text = "order-12345-express";
    }

    public sealed class BenchCustomer
    {
        public string Name { get; set; } = "";
    }

    public sealed class BenchOrder
    {
        public BenchCustomer? Customer { get; set; }
        public decimal Total { get; set; }
    }

    private sealed class FieldScope : IExpressionScope
    {
        public Expression? Resolve(string name, ParameterExpression context) =>
            typeof(Hit).GetField(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance) is { } f
                ? Expression.Field(context, f)
                : null;
    }

    private readonly Hit _hit = new();
    private CompiledExpression<Hit> _threshold = null!;
    private CompiledExpression<Hit> _chain = null!;
    private CompiledExpression<Hit> _startsWith = null!;
    private CompiledExpression<Hit> _arithmetic = null!;
    private readonly Func<Hit, bool> _thresholdLambda = h => h.X > 100;
    private readonly Func<Hit, bool> _chainLambda = h => h.Order.Customer!.Name.Length > 3 && h.Order.Total >= 100m;
    private readonly Func<Hit, bool> _startsWithLambda = h => h.Text.StartsWith("order", StringComparison.Ordinal);

    [GlobalSetup]
    public void Setup()
    {
        var scope = new FieldScope();
        _threshold = Check(ExpressionCompiler.Compile<Hit>("X > 100", scope));
        _chain = Check(ExpressionCompiler.Compile<Hit>("Order.Customer.Name.Length > 3 && Order.Total >= 100", scope));
        _startsWith = Check(ExpressionCompiler.Compile<Hit>("Text.StartsWith(\"order\", StringComparison.Ordinal)", scope));
        _arithmetic = Check(ExpressionCompiler.Compile<Hit>("X * 2 + 1", scope));
    }

    private static CompiledExpression<Hit> Check(CompiledExpression<Hit> compiled) =>
        compiled.Error == null ? compiled : throw new InvalidOperationException(compiled.Error);

    [Benchmark(Baseline = true)]
    public bool Threshold_CSharpLambda() => _thresholdLambda(_hit);

    [Benchmark]
    public bool Threshold_Compiled() => _threshold.EvaluateCondition(_hit, out _);

    [Benchmark]
    public bool MemberChain_CSharpLambda() => _chainLambda(_hit);

    [Benchmark]
    public bool MemberChain_Compiled() => _chain.EvaluateCondition(_hit, out _);

    [Benchmark]
    public bool StringMethod_CSharpLambda() => _startsWithLambda(_hit);

    [Benchmark]
    public bool StringMethod_Compiled() => _startsWith.EvaluateCondition(_hit, out _);

    [Benchmark]
    public object? Watch_Evaluate_Boxed() => _arithmetic.Evaluate(_hit).Value;

    [Benchmark]
    public object Compile_MemberChain() => ExpressionCompiler.Compile<Hit>("Order.Customer.Name.Length > 3 && Order.Total >= 100", new FieldScope());
}
