using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// Line tracepoints in iterators (`yield return`) and async iterators (`IAsyncEnumerable`, consumed by
// `await foreach`): the probe is in the state machine's MoveNext; the iteration's values at the line are shown under
// their source names. Expected values are computed here from tests/TestApps/Deep.TestApp/Iterators.cs.
[Collection(EndToEndCollection.Name)]
public sealed class IteratorTracepointTests
{
    private const string File = "Iterators.cs";
    private const string Source = "tests/TestApps/Deep.TestApp/Iterators.cs";

    private static int Line(string marker) => Repo.Line(Source, marker);

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_iterator_line_shows_the_current_iteration_s_hoisted_locals_the_parameter_once_and_this(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("iterator-line"), new Dictionary<string, string> { ["condition"] = "i == 2" });
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("iterators", 3), s => s.Count >= 1))[0];

            // Steps(3) on Countdown("cd3"), second iteration: i = 2, step = 20, total = 30 + 20.
            snapshot.Check(s =>
            {
                Assert.Equal("2", s.Value("i"));
                Assert.Equal("20", s.Value("step"));
                Assert.Equal("50", s.Value("total"));
                Assert.Equal("3", s.Value("from"));
                Assert.Single(s.Names, n => n == "from");
                Assert.Equal("Countdown", s.Type("this"));
                Assert.Equal("cd3", s.Member("this", "Name"));
                Assert.Equal("Steps", s.MethodName);
                Assert.False(s.IsAsync());
                Assert.DoesNotContain(s.Names, n => n.Contains('<', StringComparison.Ordinal));
            });
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_async_iterator_line_shows_the_current_iteration_s_values_and_is_async(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("async-iterator-line"), new Dictionary<string, string> { ["condition"] = "i == 1" });
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("iterators", 2), s => s.Count >= 1))[0];

            // LabelsAsync(2) on Countdown("cd2"), second iteration: prefix = "cd2:", label = "cd2:1".
            snapshot.Check(s =>
            {
                Assert.Equal("1", s.Value("i"));
                Assert.Equal("cd2:1", s.Value("label"));
                Assert.Equal("cd2:", s.Value("prefix"));
                Assert.Equal("2", s.Value("count"));
                Assert.Single(s.Names, n => n == "count");
                Assert.Equal("cd2", s.Member("this", "Name"));
                Assert.Equal("LabelsAsync", s.MethodName);
                Assert.True(s.IsAsync());
                Assert.DoesNotContain(s.Names, n => n.Contains('<', StringComparison.Ordinal));
            });
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}
