using Deep.Agent.Symbols;

namespace Deep.Agent.Tests.Symbols;

public sealed class MethodResolverTests : IDisposable
{
    private const string File = "Symbols/MethodSample.cs";
    private readonly SymbolIndex _index = new();

    public MethodResolverTests()
    {
        _index.Add(typeof(MethodResolverTests).Assembly);
        _index.Add(typeof(MethodResolver).Assembly);
    }

    public void Dispose() => _index.Dispose();

    private MethodResolution Resolve(string method, string? className = null, string path = File) =>
        MethodResolver.Resolve(path, method, className, _index.Assemblies);

    [Fact]
    public void Every_overload_of_a_name_in_the_file_is_found_and_told_apart_by_its_signature()
    {
        var resolution = Resolve("Pick", "MethodSample");

        Assert.Null(resolution.Error);
        Assert.Equal(["Pick(int value)", "Pick(string value)"], resolution.Methods.Select(m => MethodResolver.Signature(m.Method)).Order().ToArray());
        Assert.All(resolution.Methods, m => Assert.EndsWith("MethodSample.cs", m.DocumentPath, StringComparison.Ordinal));
        Assert.All(resolution.Methods, m => Assert.True(m.FirstLine > 0));
    }

    [Fact]
    public void Without_a_class_name_every_type_of_the_file_with_that_method_is_a_candidate()
    {
        var resolution = Resolve("Pick");

        Assert.Equal(3, resolution.Methods.Count);
        Assert.Contains(resolution.Methods, m => m.Method.DeclaringType == typeof(MethodBox<>));
    }

    [Theory]
    [InlineData("MethodBox`1")]
    [InlineData("MethodBox")]
    [InlineData("Deep.Agent.Tests.Symbols.MethodBox")]
    [InlineData("Deep.Agent.Tests.Symbols.MethodBox`1")]
    public void A_class_name_may_be_simple_or_full_with_or_without_the_generic_arity(string className)
    {
        var resolution = Resolve("Pick", className);

        var method = Assert.Single(resolution.Methods);
        Assert.Equal(typeof(MethodBox<>), method.Method.DeclaringType);
    }

    [Fact]
    public void Constructors_resolve_by_ctor_or_the_type_name()
    {
        Assert.True(Resolve(".ctor", "MethodSample").Methods.Single().Method.IsConstructor);
        Assert.True(Resolve("MethodSample", "MethodSample").Methods.Single().Method.IsConstructor);
    }

    [Fact]
    public void An_abstract_method_is_refused_and_its_override_is_found()
    {
        var abstractOnly = Resolve("Compute", "MethodSampleBase");
        Assert.Equal(ResolutionFailure.MethodNotInstrumentable, abstractOnly.Failure);
        Assert.Contains("abstract", abstractOnly.Error, StringComparison.Ordinal);

        var both = Resolve("Compute");
        Assert.Equal(typeof(MethodSample), Assert.Single(both.Methods).Method.DeclaringType);
    }

    [Fact]
    public void An_extern_method_has_no_body_to_instrument()
    {
        // GetPid has no code in the file, so its type is found through the type's other methods.
        var resolution = Resolve("GetPid", "MethodSample");

        Assert.Equal(ResolutionFailure.MethodNotInstrumentable, resolution.Failure);
        Assert.Contains("no IL body", resolution.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_method_of_the_agent_is_refused()
    {
        var resolution = Resolve("Resolve", "MethodResolver", "MethodResolver.cs");

        Assert.Equal(ResolutionFailure.MethodNotInstrumentable, resolution.Failure);
        Assert.Contains("DEEP agent", resolution.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_method_names_the_types_that_were_searched()
    {
        var resolution = Resolve("Nope", "MethodSample");

        Assert.Equal(ResolutionFailure.NoCodeAtLine, resolution.Failure);
        Assert.Contains("no method named 'Nope'", resolution.Error, StringComparison.Ordinal);
        Assert.Contains("Deep.Agent.Tests.Symbols.MethodSample", resolution.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_class_name_is_reported()
    {
        var resolution = Resolve("Pick", "Missing");

        Assert.Equal(ResolutionFailure.NoCodeAtLine, resolution.Failure);
        Assert.Contains("no type named 'Missing'", resolution.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_no_loaded_assembly_has_stays_pending()
    {
        var resolution = Resolve("Pick", null, "NotLoadedYet.cs");

        Assert.Equal(ResolutionFailure.FileNotFound, resolution.Failure);
        Assert.Contains("pending", resolution.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lambda_in_the_file_counts_for_its_outer_type_not_its_closure_class()
    {
        var resolution = Resolve("Lambda");

        Assert.Equal(typeof(MethodSample), Assert.Single(resolution.Methods).Method.DeclaringType);
    }
}
