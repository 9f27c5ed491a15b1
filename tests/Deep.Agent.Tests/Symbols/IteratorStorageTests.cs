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

    private CapturePlan CaptureAt(string marker)
    {
        var resolution = _index.Resolve(Sample, SourceMarkers.Line(Sample, marker));
        Assert.True(resolution.Line is not null, resolution.Error);
        return FrameLayoutBuilder.Build(resolution.Line!, resolution.Line!.ILOffset);
    }

    private static List<SlotField> Fields(CapturePlan capture) =>
        Assert.Single(capture.Values, v => v.Slot.Fields is not null).Slot.Fields!.ToList();

    // What the snapshot shows: the state machine's fields, and the locals the compiler left in MoveNext (a Release
    // build hoists only what lives across a yield or await).
    private static List<string> Shown(CapturePlan capture) =>
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

    // Copies are of the host app (tests/Deep.Agent.Tests/Interop/HostApp), never of this test assembly: a second
    // copy of the test types in the process would make type names in other tests' expressions ambiguous.
    [Fact]
    public void The_same_file_loaded_into_two_load_contexts_resolves_once_not_as_an_ambiguous_path()
    {
        using var index = new SymbolIndex();
        index.Add(new AssemblyLoadContext("iterator-tests-copy-1").LoadFromAssemblyPath(HostApp.Path));
        index.Add(new AssemblyLoadContext("iterator-tests-copy-2").LoadFromAssemblyPath(HostApp.Path));

        var resolution = index.Resolve(HostApp.Source, HostApp.Line);

        Assert.True(resolution.Line is not null, resolution.Error);
        Assert.Equal(2, index.Assemblies.Count);
    }

    [Fact]
    public void An_assembly_of_a_collectible_load_context_is_not_indexed_so_it_can_unload()
    {
        var context = new AssemblyLoadContext("iterator-tests-collectible", isCollectible: true);
        try
        {
            using var index = new SymbolIndex();
            index.Add(context.LoadFromAssemblyPath(HostApp.Path));

            Assert.Empty(index.Assemblies);
            var resolution = index.Resolve(HostApp.Source, HostApp.Line);
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

/// <summary>The agent tests' host app (built next to them, never loaded by them): an assembly to load copies of.</summary>
internal static class HostApp
{
    public const string Source = "Interop/HostApp/Program.cs";

    /// <summary>Its first line with code.</summary>
    public const int Line = 2;

    public static string Path { get; } = Find();

    private static string Find()
    {
        // tests/Deep.Agent.Tests/bin/<config>/<tfm> -> tests/Deep.Agent.Tests/Interop/HostApp/bin/<config>/<tfm>
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/', '\\'));
        var candidates = new[] { dir.Parent!.Name, "Release", "Debug" }.Distinct()
            .Select(c => System.IO.Path.Combine(SourceMarkers.ProjectDirectory, "Interop", "HostApp", "bin", c, dir.Name, "Deep.Agent.HostApp.dll"))
            .ToList();
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"host app not built at any of {string.Join(", ", candidates)}");
    }
}
