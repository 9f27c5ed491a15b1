using System.Linq.Expressions;
using Deep.Agent.Expressions;

namespace Deep.Agent.Tests.Expressions;

/// <summary>
/// The context of a hit in tests: named, typed values. It resolves a name to a typed read of its slot, as the probe
/// glue does, so compiled expressions see the declared types (an <c>object</c> slot stays dynamic).
/// </summary>
internal sealed class TestScope : IExpressionScope
{
    private readonly List<(string Name, Type Type)> _slots = new();

    public object?[] Values { get; private set; } = [];

    public TestScope Add<T>(string name, T value)
    {
        _slots.Add((name, typeof(T)));
        Values = [.. Values, value];
        return this;
    }

    public Expression? Resolve(string name, ParameterExpression context)
    {
        var index = _slots.FindIndex(s => s.Name == name);
        if (index < 0)
        {
            return null;
        }
        var values = Expression.Property(context, nameof(Values));
        return Expression.Convert(Expression.ArrayIndex(values, Expression.Constant(index)), _slots[index].Type);
    }

    public CompiledExpression<TestScope> Compile(string source) => ExpressionCompiler.Compile<TestScope>(source, this);

    public ExpressionResult Eval(string source)
    {
        var compiled = Compile(source);
        Assert.True(compiled.Error == null, "compile error: " + compiled.Error);
        return compiled.Evaluate(this);
    }

    /// <summary>The value of an expression that must compile and evaluate without error.</summary>
    public object? Value(string source)
    {
        var result = Eval(source);
        Assert.True(!result.IsError, "runtime error: " + result.Error);
        return result.Value;
    }

    /// <summary>The compile error of an expression that must not compile.</summary>
    public string CompileError(string source)
    {
        var compiled = Compile(source);
        Assert.True(compiled.Error != null, "expected a compile error for: " + source);
        return compiled.Error!;
    }

    /// <summary>The runtime error of an expression that compiles but fails when evaluated.</summary>
    public string RuntimeError(string source)
    {
        var result = Eval(source);
        Assert.True(result.IsError, "expected a runtime error for: " + source + " but got " + result.Value);
        return result.Error!;
    }
}
