using System.Reflection;
using System.Runtime.Loader;
using Deep.Agent.Instrumentation;
using Deep.Agent.Symbols;

namespace Deep.Agent.Tests.Symbols;

// Iterators' and async iterators' state machines, and one file loaded into several load contexts.
public sealed class IteratorStorageTests : IDisposable
{
    private const string Sample = "Symbols/IteratorSample.cs";
    private readonly SymbolIndex _index = new();

    public IteratorStorageTests() => _index.Add(typeof(IteratorStorageTests).Assembly);

    public void Dispose() => _index.Dispose();

    private FrameCapture CaptureAt(string marker)
    {
        var resolution = _index.Resolve(Sample, SourceMarkers.Line(Sample, marker));
        Assert.True(resolution.Line is not null, resolution.Error);
        return FrameLayoutBuilder.Build(resolution.Line!, resolution.Line!.ILOffset);
    }

    private static List<SlotField> Fields(FrameCapture capture) =>
        Assert.Single(capture.Values, v => v.Slot.Fields is not null).Slot.Fields!.ToList();

    // What the snapshot shows: the state machine's fields, and the locals the compiler left in MoveNext (a Release
    // build hoists only what lives across a yield or await).
    private static List<string> Shown(FrameCapture capture) =>
        [.. Fields(capture).Select(f => f.Name).Concat(capture.Values.Where(v => v.Slot.Fields is null).Select(v => v.Slot.Name)).Order(StringComparer.Ordinal)];

    [Fact]
    public void An_iterator_line_shows_hoisted_locals_the_parameter_once_and_this_not_the_iterator_s_bookkeeping()
    {
        var capture = CaptureAt("iterator-sample-line");

        var fields = Fields(capture);
        Assert.Equal(["from", "i", "step", "this", "total"], Shown(capture));
        // The parameter has two fields (`from`, and `<>3__from` that GetEnumerator copies from): the live one is shown.
        Assert.Equal("from", Assert.Single(fields, f => f.Name == "from").Field.Name);
        Assert.Equal("<>4__this", Assert.Single(fields, f => f.Name == "this").OriginalName);
        Assert.Matches(@"^<total>5__\d+$", Assert.Single(fields, f => f.Name == "total").OriginalName);
    }

    [Fact]
    public void An_async_iterator_line_shows_its_hoisted_locals_and_parameter()
    {
        var capture = CaptureAt("async-iterator-sample-line");

        Assert.Equal(["count", "i", "label", "prefix", "this"], Shown(capture));
    }

    [Fact]
    public void The_same_file_loaded_into_another_load_context_resolves_once_not_as_an_ambiguous_path()
    {
        var copy = new AssemblyLoadContext("iterator-tests-copy").LoadFromAssemblyPath(typeof(IteratorStorageTests).Assembly.Location);
        using var index = new SymbolIndex();
        index.Add(typeof(IteratorStorageTests).Assembly);
        index.Add(copy);

        var resolution = index.Resolve(Sample, SourceMarkers.Line(Sample, "iterator-sample-line"));

        Assert.True(resolution.Line is not null, resolution.Error);
        Assert.Equal(2, index.Assemblies.Count);
    }

    [Fact]
    public void An_assembly_of_a_collectible_load_context_is_not_indexed_so_it_can_unload()
    {
        var context = new AssemblyLoadContext("iterator-tests-collectible", isCollectible: true);
        try
        {
            var copy = context.LoadFromAssemblyPath(typeof(IteratorStorageTests).Assembly.Location);
            using var index = new SymbolIndex();
            index.Add(copy);

            Assert.Empty(index.Assemblies);
            var resolution = index.Resolve(Sample, SourceMarkers.Line(Sample, "iterator-sample-line"));
            Assert.Null(resolution.Line);
            Assert.Contains("1 assemblies loaded into collectible AssemblyLoadContexts were not searched", resolution.Error, StringComparison.Ordinal);
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Different_assemblies_with_the_same_document_stay_ambiguous()
    {
        var self = typeof(IteratorStorageTests).Assembly;
        var other = typeof(SymbolIndex).Assembly;

        Assert.Null(SymbolIndex.SameFileLoadedAgain([(self, "/src/A.cs"), (other, "/src/A.cs")]));
        Assert.Null(SymbolIndex.SameFileLoadedAgain([(self, "/src/A.cs"), (self, "/src/B.cs")]));
        Assert.Equal(0, SymbolIndex.SameFileLoadedAgain([(self, "/src/A.cs"), (self, "/src/A.cs")]));
    }
}
