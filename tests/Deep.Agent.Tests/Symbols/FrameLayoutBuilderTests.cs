using Deep.Agent.Instrumentation;
using Deep.Agent.Symbols;

namespace Deep.Agent.Tests.Symbols;

public sealed class FrameLayoutBuilderTests : IDisposable
{
    private const string Sample = "Symbols/SymbolsSample.cs";
    private readonly SymbolIndex _index = new();

    public FrameLayoutBuilderTests() => _index.Add(typeof(FrameLayoutBuilderTests).Assembly);

    public void Dispose() => _index.Dispose();

    private CapturePlan CaptureAt(string marker)
    {
        var resolution = _index.Resolve(Sample, SourceMarkers.Line(Sample, marker));
        Assert.True(resolution.Line is not null, resolution.Error);
        return FrameLayoutBuilder.Build(resolution.Line!, resolution.Line!.ILOffset);
    }

    private static FrameValue Named(CapturePlan capture, string name) => Assert.Single(capture.Values, v => v.Slot.Name == name);

    [Fact]
    public void An_instance_method_captures_this_then_its_parameters_by_name_and_argument_number()
    {
        var capture = CaptureAt("loop-body");

        Assert.Equal(new FrameValue(new ProbeSlot("this", typeof(SymbolsSample), SlotKind.This), 0), capture.Values[0]);
        Assert.Equal(new FrameValue(new ProbeSlot("count", typeof(int), SlotKind.Argument), 1), capture.Values[1]);
        Assert.Equal(new FrameValue(new ProbeSlot("label", typeof(string), SlotKind.Argument), 2), capture.Values[2]);
    }

    [Fact]
    public void Locals_in_scope_come_with_their_source_names_slots_and_types()
    {
        var capture = CaptureAt("loop-body");
        var body = typeof(SymbolsSample).GetMethod(nameof(SymbolsSample.Sum))!.GetMethodBody()!;

        foreach (var (name, type) in new[] { ("total", typeof(int)), ("frame", typeof(System.Diagnostics.StackFrame)), ("i", typeof(int)) })
        {
            var value = Named(capture, name);
            Assert.Equal(SlotKind.Local, value.Slot.Kind);
            Assert.Equal(type, value.Slot.DeclaredType);
            Assert.Equal(type, body.LocalVariables[value.Index].LocalType);
        }
    }

    [Fact]
    public void A_local_of_a_block_that_has_not_started_is_not_in_scope()
    {
        var before = CaptureAt("loop-body");
        var inside = CaptureAt("inner-scope");

        Assert.DoesNotContain(before.Values, v => v.Slot.Name == "message");
        Assert.Contains(inside.Values, v => v.Slot.Name == "message");
        Assert.DoesNotContain(inside.Values, v => v.Slot.Name == "i"); // the loop's scope has ended
    }

    [Fact]
    public void A_static_method_has_no_this_and_numbers_arguments_from_zero()
    {
        var capture = CaptureAt("span-line");

        Assert.DoesNotContain(capture.Values, v => v.Slot.Kind == SlotKind.This);
        Assert.Equal(0, Named(capture, "length").Index);
    }

    [Fact]
    public void Ref_and_out_arguments_are_captured_as_their_element_type()
    {
        var capture = CaptureAt("span-line");

        Assert.Equal(new FrameValue(new ProbeSlot("counter", typeof(int), SlotKind.Argument), 1), Named(capture, "counter"));
        Assert.Equal(new FrameValue(new ProbeSlot("result", typeof(string), SlotKind.Argument), 2), Named(capture, "result"));
    }

    [Fact]
    public void A_span_local_is_left_out_and_listed_as_not_captured()
    {
        var capture = CaptureAt("span-line");

        Assert.DoesNotContain(capture.Values, v => v.Slot.Name == "span");
        Assert.Contains("span: Span<int> is a ref struct and cannot be captured", capture.NotCaptured);
    }

    [Fact]
    public void Compiler_generated_closure_locals_are_not_shown()
    {
        var capture = CaptureAt("lambda-line");

        // The closure itself is captured (its fields are shown instead, see CompilerStorageTests), never shown.
        var shown = capture.Values.Where(v => v.Slot.Fields is null).ToList();
        Assert.All(shown, v => Assert.DoesNotContain("<", v.Slot.Name, StringComparison.Ordinal));
        Assert.All(shown, v => Assert.False(v.Slot.Name.StartsWith("CS$", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(typeof(int*), "is a pointer and cannot be captured")]
    [InlineData(typeof(TypedReference), "is a TypedReference and cannot be captured")]
    [InlineData(typeof(ReadOnlySpan<char>), "is a ref struct and cannot be captured")]
    public void Values_the_probe_cannot_take_say_why(Type type, string why)
    {
        Assert.Equal(why, FrameLayoutBuilder.WhyNotCapturable(type));
    }

    [Theory]
    [InlineData(typeof(int))]
    [InlineData(typeof(string))]
    [InlineData(typeof(List<int>))]
    [InlineData(typeof(DateTime?))]
    public void Ordinary_values_are_capturable(Type type)
    {
        Assert.Null(FrameLayoutBuilder.WhyNotCapturable(type));
    }

    [Theory]
    [InlineData(typeof(Span<int>), "Span<int>")]
    [InlineData(typeof(Dictionary<string, List<int>>), "Dictionary<string, List<int>>")]
    [InlineData(typeof(int?), "int?")]
    [InlineData(typeof(string[,]), "string[,]")]
    public void Type_names_read_as_csharp(Type type, string expected)
    {
        Assert.Equal(expected, Deep.Agent.Capture.CSharpTypeNames.Of(type));
    }
}
