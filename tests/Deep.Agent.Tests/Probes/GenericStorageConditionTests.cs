using System.Reflection;
using Deep.Agent.Expressions;
using Deep.Agent.Instrumentation;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;
using Deep.Agent.Tests.Symbols;

namespace Deep.Agent.Tests.Probes;

// Conditions and watches naming variables of generic state machines and closures: compiled once against the layout
// (which knows only the open type) and evaluated against real instances of the instantiations the compiler made.
public sealed class GenericStorageConditionTests : IDisposable
{
    private const string Sample = "Symbols/GenericShapesSample.cs";
    private readonly SymbolIndex _index = new();
    private readonly TaskCompletionSource _gate = new();

    public GenericStorageConditionTests() => _index.Add(typeof(GenericStorageConditionTests).Assembly);

    public void Dispose()
    {
        _gate.TrySetResult();
        _index.Dispose();
    }

    private ProbeFrameLayout LayoutAt(string marker)
    {
        var line = SourceMarkers.Line(Sample, marker);
        var resolution = _index.Resolve(Sample, line);
        Assert.True(resolution.Line is not null, resolution.Error);
        var capture = FrameLayoutBuilder.Build(resolution.Line!, resolution.Line!.ILOffset);
        var layout = new ProbeFrameLayout(capture.Values.Select(v => v.Slot).ToArray(), resolution.Line.Method, Sample, line,
            resolution.Line.ILOffset, capture.NotCaptured);
        // What this test is about: the storage's declared type is the open generic type.
        Assert.Contains(layout.Slots, s => s.Fields is not null && s.DeclaredType.ContainsGenericParameters);
        return layout;
    }

    // One hit whose compiler storage (state machine or closure) slot holds `storage`, and other slots `values`.
    private static HitState Hit(ProbeFrameLayout layout, object? storage, params (string Name, object? Value)[] values)
    {
        var hit = new HitState();
        hit.Begin(ProbeTestSupport.NewProbeId(), layout, layout.Slots.Count);
        for (var i = 0; i < layout.Slots.Count; i++)
        {
            var slot = layout.Slots[i];
            if (slot.Fields is not null) hit.StoreObject(storage, i);
            foreach (var (name, value) in values)
            {
                if (slot.Fields is null && slot.Name == name) hit.StoreObject(value, i);
            }
        }
        return hit;
    }

    private static CompiledExpression<HitState> Compile(ProbeFrameLayout layout, string source)
    {
        var compiled = ExpressionCompiler.Compile<HitState>(source, new ProbeScope(layout));
        Assert.True(compiled.Error is null, $"'{source}' did not compile: {compiled.Error}");
        return compiled;
    }

    private static bool Fires(CompiledExpression<HitState> condition, HitState hit)
    {
        var fired = condition.EvaluateCondition(hit, out var error);
        Assert.True(error is null, $"'{condition.Source}': {error}");
        return fired;
    }

    // The state machine an async method left at its first await (boxed by the runtime: a struct in Release builds).
    private static object StateMachineOf(Task task) =>
        task.GetType().GetField("StateMachine", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!.GetValue(task)!;

    [Fact]
    public void A_condition_in_a_generic_async_method_names_its_hoisted_local_and_parameters_for_every_instantiation()
    {
        var layout = LayoutAt("generic-shapes-async");
        var s8 = StateMachineOf(GenericShapesSample.SumAsync("s8", 4, _gate.Task)); // total = 8
        var seven = StateMachineOf(GenericShapesSample.SumAsync(7, 2, _gate.Task)); // total = 4 (a value-type instantiation)
        Assert.NotEqual(s8.GetType(), seven.GetType());

        var condition = Compile(layout, "total > 5 && count == 4");
        Assert.True(Fires(condition, Hit(layout, s8)));
        Assert.False(Fires(condition, Hit(layout, seven)));

        var byItem = Compile(layout, "item == \"s8\"");
        Assert.True(Fires(byItem, Hit(layout, s8)));
        Assert.False(byItem.EvaluateCondition(Hit(layout, seven), out _));

        // `total` keeps its type (int); `item`, of type T, is the object it is for the call.
        var watch = Compile(layout, "total + 1");
        Assert.Equal(typeof(int), watch.ResultType);
        Assert.Equal(9, watch.Evaluate(Hit(layout, s8)).Value);
        Assert.Equal(5, watch.Evaluate(Hit(layout, seven)).Value);
        Assert.Equal(7, Compile(layout, "item").Evaluate(Hit(layout, seven)).Value);
    }

    [Fact]
    public void A_condition_in_an_async_method_of_a_generic_type_names_the_original_this_and_its_fields()
    {
        var layout = LayoutAt("generic-shapes-box");
        var box = StateMachineOf(new GenericShapesBox<string>("box", 3).PutAsync("a", _gate.Task));
        var crate = StateMachineOf(new GenericShapesBox<int>("crate", 9).PutAsync(1, _gate.Task));

        foreach (var source in new[] { "Name == \"box\" && _limit == 3 && seen == 3", "this.Name == \"box\"", "this._limit < 5" })
        {
            var condition = Compile(layout, source);
            Assert.True(Fires(condition, Hit(layout, box)), source);
            Assert.False(Fires(condition, Hit(layout, crate)), source);
        }
        Assert.Equal("crate", Compile(layout, "Name").Evaluate(Hit(layout, crate)).Value);
        Assert.Equal(typeof(int), Compile(layout, "seen").ResultType);
    }

    [Fact]
    public void A_condition_in_a_lambda_of_a_generic_method_names_variables_captured_through_nested_closures()
    {
        var layout = LayoutAt("generic-shapes-lambda");
        var s8 = GenericShapesSample.Capture("s8", 4).Target!; // scale 8, offset 5
        var one = GenericShapesSample.Capture(1, 2).Target!; // scale 4, offset 3

        var condition = Compile(layout, "item == \"s8\" && scale == 8 && offset == 5 && bias == 4 && value == 10");
        Assert.True(Fires(condition, Hit(layout, s8, ("value", 10))));
        Assert.False(condition.EvaluateCondition(Hit(layout, one, ("value", 10)), out _));
        Assert.False(Fires(Compile(layout, "scale == 8"), Hit(layout, one)));
        Assert.True(Fires(Compile(layout, "scale == 4 && offset == 3"), Hit(layout, one)));
    }

    [Fact]
    public void A_null_closure_link_is_an_error_of_that_evaluation_not_an_exception_nor_a_value()
    {
        var layout = LayoutAt("generic-shapes-lambda");
        // An instance of the inner closure whose link to the method's closure was never set.
        var unlinked = Activator.CreateInstance(GenericShapesSample.Capture("s8", 4).Target!.GetType())!;

        var condition = Compile(layout, "scale == 8");
        Assert.False(condition.EvaluateCondition(Hit(layout, unlinked), out var error));
        Assert.Contains("'scale' is not available: the closure that holds it is null", error, StringComparison.Ordinal);
        // A variable of the closure itself is still read.
        Assert.True(Fires(Compile(layout, "offset == 0"), Hit(layout, unlinked)));
        // No storage at all (the slot was not captured on this hit).
        Assert.False(condition.EvaluateCondition(Hit(layout, null), out error));
        Assert.Contains("'scale' is not available", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_that_is_not_a_variable_of_the_generic_storage_is_still_unknown()
    {
        var layout = LayoutAt("generic-shapes-async");
        var compiled = ExpressionCompiler.Compile<HitState>("nothing > 1", new ProbeScope(layout));
        Assert.Contains("unknown name 'nothing'", compiled.Error, StringComparison.Ordinal);
    }
}
