using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// A tracepoint on a line of an assembly that is not loaded yet: tests/TestApps/Deep.TestPlugin, which the test app's
// "plugins" scenario loads from plugins/ into two load contexts of its own ("plugins-a", and "plugins-b" which is
// collectible) the first time it runs. Only this test runs that scenario.
[Collection(EndToEndCollection.Name)]
public sealed class PluginTracepointTests
{
    private const string File = "PluginGreeter.cs";
    private const string Source = "tests/TestApps/Deep.TestPlugin/PluginGreeter.cs";

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_tracepoint_in_a_plugin_stays_pending_until_the_plugin_loads_then_installs_and_fires(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Repo.Line(Source, "plugin-line"),
            new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0" });
        try
        {
            await session.WaitForStateAsync(id, "pending");

            var snapshots = await session.DriveUntilAsync(id, () => session.App.Call("plugins", 5), s => s.Count >= 1);
            await session.WaitForStateAsync(id, "installed");

            // Greet("plugins-a", 5): greeting = "hello from plugins-a", width = 20 + 5.
            var fromA = snapshots.First(s => s.Value("context") == "plugins-a");
            fromA.Check(s =>
            {
                Assert.Equal("hello from plugins-a", s.Value("greeting"));
                Assert.Equal("5", s.Value("n"));
                Assert.Equal("Greet", s.MethodName);
            });
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}
