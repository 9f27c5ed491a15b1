using System.Reflection;
using Deep.Agent.Symbols;

namespace Deep.Agent.Tests.Symbols;

public sealed class SymbolIndexTests : IDisposable
{
    private const string Sample = "Symbols/SymbolsSample.cs";
    private readonly SymbolIndex _index = new();

    public SymbolIndexTests() => _index.Add(typeof(SymbolIndexTests).Assembly);

    public void Dispose() => _index.Dispose();

    private static int Line(string marker) => SourceMarkers.Line(Sample, marker);

    private ResolvedLine Resolved(string path, int line)
    {
        var resolution = _index.Resolve(path, line);
        Assert.True(resolution.Line is not null, resolution.Error);
        return resolution.Line!;
    }

    private static MethodInfo SampleMethod(string name) =>
        typeof(SymbolsSample).GetMethod(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)!;

    [Theory]
    [InlineData("SymbolsSample.cs")]
    [InlineData("symbolssample.CS")]
    [InlineData("Symbols/SymbolsSample.cs")]
    [InlineData("tests/Deep.Agent.Tests/Symbols/SymbolsSample.cs")]
    [InlineData("/build/agent/tests/Deep.Agent.Tests/Symbols/SymbolsSample.cs")]
    [InlineData(@"C:\src\deep\tests\Deep.Agent.Tests\Symbols\SymbolsSample.cs")]
    [InlineData("/_/tests/Deep.Agent.Tests/Symbols/SymbolsSample.cs")]
    public void Bare_relative_and_foreign_absolute_paths_find_the_document(string path)
    {
        var line = Resolved(path, Line("loop-body"));

        Assert.Equal(SampleMethod(nameof(SymbolsSample.Sum)), line.Method);
        Assert.EndsWith("SymbolsSample.cs", line.DocumentPath, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_name_shared_by_two_documents_is_reported_as_ambiguous_listing_both()
    {
        var resolution = _index.Resolve("Twin.cs", SourceMarkers.Line("Symbols/Twins/A/Twin.cs", "twin-a"));

        Assert.Equal(ResolutionFailure.AmbiguousPath, resolution.Failure);
        Assert.Contains("Twins/A/Twin.cs", resolution.Error!.Replace('\\', '/'), StringComparison.Ordinal);
        Assert.Contains("Twins/B/Twin.cs", resolution.Error!.Replace('\\', '/'), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A/Twin.cs", "A", "twin-a")]
    [InlineData(@"Symbols\Twins\b\twin.cs", "B", "twin-b")]
    [InlineData("/elsewhere/Twins/A/Twin.cs", "A", "twin-a")]
    public void More_of_the_path_picks_the_longest_match(string path, string folder, string marker)
    {
        var line = Resolved(path, SourceMarkers.Line($"Symbols/Twins/{folder}/Twin.cs", marker));

        Assert.Equal($"Deep.Agent.Tests.Symbols.Twins.{folder}.Twin", line.Method.DeclaringType!.FullName);
    }

    [Theory]
    [InlineData("NoSuchFile.cs")]
    [InlineData("Other/SymbolsSample.cs.bak")]
    [InlineData("")]
    public void A_path_in_no_loaded_assembly_is_file_not_found(string path)
    {
        var resolution = _index.Resolve(path, 10);

        Assert.Null(resolution.Line);
        Assert.Equal(ResolutionFailure.FileNotFound, resolution.Failure);
    }

    [Fact]
    public void File_not_found_says_the_tracepoint_stays_pending()
    {
        var resolution = _index.Resolve("src/Shop/NoSuchFile.cs", 10);

        Assert.Contains("'src/Shop/NoSuchFile.cs'", resolution.Error, StringComparison.Ordinal);
        Assert.Contains("pending", resolution.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_line_offset_covers_the_code_that_runs_on_that_line()
    {
        var line = Resolved(Sample, Line("frame-line"));
        var (_, frame) = new SymbolsSample().Sum(1, "x");

        // The runtime's own IL offset of the call on that line lies inside [line start, next line start).
        Assert.Equal(Line("frame-line"), line.LineUsed);
        Assert.NotNull(line.AfterLineILOffset);
        Assert.InRange(frame.GetILOffset(), line.ILOffset, line.AfterLineILOffset!.Value - 1);
    }

    [Fact]
    public void After_the_line_is_where_the_next_line_begins()
    {
        var loopBody = Resolved(Sample, Line("loop-body"));
        var next = Resolved(Sample, Line("frame-line"));

        Assert.Equal(next.ILOffset, loopBody.AfterLineILOffset);
        Assert.True(loopBody.ILOffset < next.ILOffset);
    }

    [Fact]
    public void A_comment_line_maps_to_the_next_line_with_code_and_says_which()
    {
        var line = Resolved(Sample, Line("comment-in-loop"));

        Assert.Equal(Line("comment-in-loop"), line.RequestedLine);
        Assert.Equal(Line("after-comment"), line.LineUsed);
        Assert.Equal(Resolved(Sample, Line("after-comment")).ILOffset, line.ILOffset);
    }

    [Fact]
    public void A_line_outside_any_method_has_no_code_and_names_the_nearest_lines()
    {
        var resolution = _index.Resolve(Sample, Line("outside"));

        Assert.Equal(ResolutionFailure.NoCodeAtLine, resolution.Failure);
        Assert.Contains($"line {Line("outside")}", resolution.Error, StringComparison.Ordinal);
        Assert.Contains("nearest lines with code", resolution.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_past_the_end_of_the_file_has_no_code()
    {
        var resolution = _index.Resolve(Sample, 100_000);

        Assert.Equal(ResolutionFailure.NoCodeAtLine, resolution.Failure);
    }

    [Fact]
    public void A_line_number_below_one_is_rejected()
    {
        Assert.Equal(ResolutionFailure.NoCodeAtLine, _index.Resolve(Sample, 0).Failure);
    }

    [Fact]
    public void A_static_expression_bodied_method_resolves_and_has_no_after_the_line()
    {
        var line = Resolved(Sample, Line("expression-bodied"));

        Assert.Equal(SampleMethod(nameof(SymbolsSample.Twice)), line.Method);
        Assert.Null(line.AfterLineILOffset);
        Assert.Contains("line_start", line.AfterLineError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lambda_body_on_its_own_line_belongs_to_the_outer_method_when_the_statement_starts_there()
    {
        var line = Resolved(Sample, Line("lambda-line"));

        // The statement that creates the delegate starts the line; the lambda body comes later on it.
        Assert.Equal(SampleMethod(nameof(SymbolsSample.WithLambda)), line.Method);
    }

    [Fact]
    public void Assemblies_that_load_later_are_added_and_announced()
    {
        using var index = new SymbolIndex();
        var announced = new List<string?>();
        index.AssemblyAdded += symbols => announced.Add(symbols.Assembly.GetName().Name);

        index.TrackAppDomain();
        var dynamicName = new AssemblyName("Deep.Symbols.Tests.Dynamic");
        System.Reflection.Emit.AssemblyBuilder.DefineDynamicAssembly(dynamicName, System.Reflection.Emit.AssemblyBuilderAccess.Run);

        Assert.Contains("Deep.Agent.Tests", announced);
        Assert.DoesNotContain("Deep.Symbols.Tests.Dynamic", announced); // dynamic assemblies have no PDB
        Assert.Contains(index.Assemblies, a => a.Assembly == typeof(SymbolIndexTests).Assembly);
    }

    [Fact]
    public void An_assembly_without_a_pdb_explains_why_and_resolves_nothing()
    {
        var symbols = new AssemblySymbols(typeof(object).Assembly);

        Assert.Empty(symbols.Documents);
        Assert.NotNull(symbols.NoSymbolsReason);
    }
}
