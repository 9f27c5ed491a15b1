using Deep.Agent.Instrumentation;
using Deep.Agent.Symbols;

namespace Deep.Agent.Tests.Symbols;

// What a probe captures inside code the compiler rewrote: an async method's MoveNext and a lambda's closure method.
public sealed class CompilerStorageTests : IDisposable
{
    private const string Sample = "Symbols/ShapesSample.cs";
    private readonly SymbolIndex _index = new();

    public CompilerStorageTests() => _index.Add(typeof(CompilerStorageTests).Assembly);

    public void Dispose() => _index.Dispose();

    private CapturePlan CaptureAt(string marker)
    {
        var resolution = _index.Resolve(Sample, SourceMarkers.Line(Sample, marker));
        Assert.True(resolution.Line is not null, resolution.Error);
        return FrameLayoutBuilder.Build(resolution.Line!, resolution.Line!.ILOffset);
    }

    // The names a snapshot shows: plain slots, then the fields of compiler storage.
    private static List<string> Shown(CapturePlan capture) =>
        capture.Values.Where(v => v.Slot.Fields is null).Select(v => v.Slot.Name)
            .Concat(capture.Values.Where(v => v.Slot.Fields is not null).SelectMany(v => Flatten(v.Slot.Fields!)).Select(f => f.Name))
            .ToList();

    private static IEnumerable<SlotField> Flatten(IEnumerable<SlotField> fields) =>
        fields.SelectMany(f => f.Fields is null ? [f] : Flatten(f.Fields));

    [Fact]
    public void A_line_after_an_await_captures_the_state_machine_and_shows_the_original_this_parameters_and_locals_in_scope()
    {
        var capture = CaptureAt("shapes-after-await");

        var machine = Assert.Single(capture.Values, v => v.Slot.Fields is not null);
        Assert.Equal(SlotKind.This, machine.Slot.Kind);
        Assert.True(typeof(System.Runtime.CompilerServices.IAsyncStateMachine).IsAssignableFrom(machine.Slot.DeclaredType));
        var shown = Shown(capture);
        Assert.Contains("this", shown);
        Assert.Contains("count", shown);
        Assert.Contains("first", shown);
        Assert.DoesNotContain("third", shown); // its block has not started
        Assert.DoesNotContain(shown, n => n.Contains('<', StringComparison.Ordinal));
        var self = Assert.Single(machine.Slot.Fields!, f => f.Name == "this");
        Assert.Equal(typeof(ShapesSample), self.Field.FieldType);
        Assert.Equal("<>4__this", self.OriginalName);
    }

    [Fact]
    public void A_hoisted_local_keeps_the_compiler_s_field_name_as_its_original_name()
    {
        var capture = CaptureAt("shapes-inner-block");

        var fields = Flatten(capture.Values.Where(v => v.Slot.Fields is not null).SelectMany(v => v.Slot.Fields!)).ToList();
        var first = Assert.Single(fields, f => f.Name == "first");
        Assert.Matches(@"^<first>5__\d+$", first.OriginalName);
        Assert.Contains("third", Shown(capture));
    }

    [Fact]
    public void A_lambda_shows_its_parameter_and_local_and_the_captured_variables_not_its_closure()
    {
        var capture = CaptureAt("shapes-lambda");

        var shown = Shown(capture);
        Assert.Contains("value", shown);
        Assert.Contains("result", shown);
        Assert.Contains("scale", shown);
        Assert.Contains("bias", shown);
        Assert.DoesNotContain("this", shown); // Capture is static: the closure is not a `this` the developer wrote
        Assert.DoesNotContain(shown, n => n.Contains('<', StringComparison.Ordinal));
    }

    [Fact]
    public void The_method_that_creates_a_closure_shows_a_captured_parameter_once_from_the_closure()
    {
        var resolution = _index.Resolve(Sample, SourceMarkers.Line(Sample, "shapes-lambda") - 4); // `int scale = bias * 2;`
        Assert.True(resolution.Line is not null, resolution.Error);
        var capture = FrameLayoutBuilder.Build(resolution.Line!, resolution.Line!.ILOffset);

        var shown = Shown(capture);
        Assert.Single(shown, n => n == "bias");
        Assert.DoesNotContain(capture.Values, v => v.Slot.Kind == SlotKind.Argument && v.Slot.Name == "bias");
    }
}
