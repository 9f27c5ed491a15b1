using Deep.Agent.Capture;

namespace Deep.Agent.Tests.Capture;

public class CSharpTypeNamesTests
{
    [Theory]
    [InlineData(typeof(int), "int")]
    [InlineData(typeof(string), "string")]
    [InlineData(typeof(object), "object")]
    [InlineData(typeof(int?), "int?")]
    [InlineData(typeof(List<string>), "List<string>")]
    [InlineData(typeof(Dictionary<string, Account>), "Dictionary<string, Account>")]
    [InlineData(typeof(int[]), "int[]")]
    [InlineData(typeof(int[,]), "int[,]")]
    [InlineData(typeof(int[][]), "int[][]")]
    [InlineData(typeof(List<int?>[]), "List<int?>[]")]
    [InlineData(typeof(Outer.Inner), "Outer.Inner")]
    [InlineData(typeof(Generic<int>.Nested<string>), "Generic<int>.Nested<string>")]
    [InlineData(typeof(Generic<int>.Plain), "Generic<int>.Plain")]
    [InlineData(typeof((int, string)), "(int, string)")]
    [InlineData(typeof((int, int, int, int, int, int, int, string)), "(int, int, int, int, int, int, int, string)")]
    [InlineData(typeof(KeyValuePair<string, List<int>>), "KeyValuePair<string, List<int>>")]
    [InlineData(typeof(Func<int, bool>), "Func<int, bool>")]
    public void Types_are_named_as_a_CSharp_programmer_writes_them(Type type, string expected) =>
        Assert.Equal(expected, CSharpTypeNames.Of(type));

    [Fact]
    public void Open_generic_types_show_their_parameters() =>
        Assert.Equal("Dictionary<TKey, TValue>", CSharpTypeNames.Of(typeof(Dictionary<,>)));

    [Fact]
    public void Full_names_include_the_namespace_once()
    {
        Assert.Equal("Deep.Agent.Tests.Capture.Outer.Inner", CSharpTypeNames.FullNameOf(typeof(Outer.Inner)));
        Assert.Equal("System.Collections.Generic.List<Deep.Agent.Tests.Capture.Account>", CSharpTypeNames.FullNameOf(typeof(List<Account>)));
    }
}
