using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// A tracepoint on a line of an assembly that is not loaded yet: tests/TestApps/Deep.TestPlugin, which the test app
// loads from plugins/ into load contexts of its own (tests/TestApps/Deep.TestApp/Plugins.cs): "plugins-a" on the
// first "plugins", "plugins-c" on the first "plugins-more" (after the probe was installed), and a new collectible
// "plugins-b" on every "plugins", unloaded right after the call. Only this test runs these scenarios.
[Collection(EndToEndCollection.Name)]
public sealed class PluginTracepointTests
{
    private const string File = "PluginGreeter.cs";
    private const string Source = "tests/TestApps/Deep.TestPlugin/PluginGreeter.cs";

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_plugin_tracepoint_is_pending_until_the_plugin_loads_then_fires_in_every_load_context_that_is_not_collectible(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Repo.Line(Source, "plugin-line"),
            new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0" });
        try
        {
            await session.WaitForStateAsync(id, "pending");

            var snapshots = await session.DriveUntilAsync(id, () => session.App.Call("plugins", 5), s => s.Any(x => x.Value("context") == "plugins-a"));
            await session.WaitForStateAsync(id, "installed,fired");
            // Greet("plugins-a", 5): greeting = "hello from plugins-a", width = 20 + 5, before the line runs.
            snapshots.First(s => s.Value("context") == "plugins-a").Check(s =>
            {
                Assert.Equal("hello from plugins-a", s.Value("greeting"));
                Assert.Equal("5", s.Value("n"));
                Assert.Equal("Greet", s.MethodName);
            });

            // A second copy of the file, loaded into another context after the probe was installed, is probed too.
            snapshots = await session.DriveUntilAsync(id, () => session.App.Call("plugins-more", 6), s => s.Any(x => x.Value("context") == "plugins-c"));
            snapshots.First(s => s.Value("context") == "plugins-c").Check(s =>
            {
                Assert.Equal("hello from plugins-c", s.Value("greeting"));
                Assert.Equal("6", s.Value("n"));
            });

            // The runtime does not ReJIT methods of collectible contexts: plugins-b ran (above, and once more here)
            // without firing, and the agent holds nothing that keeps those contexts alive.
            Assert.StartsWith("hello from plugins-a#26|hello from plugins-c#26|hello from plugins-b#26", session.App.Call("plugins", 6), StringComparison.Ordinal);
            await session.SettledCountAsync(id);
            Assert.DoesNotContain(await session.Api.SnapshotsAsync(id), s => s.Value("context") == "plugins-b");
            string collected = "";
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (DateTime.UtcNow < deadline && !collected.StartsWith("0 of", StringComparison.Ordinal))
            {
                collected = session.App.Call("plugins-collected");
                await Task.Delay(200);
            }
            Assert.StartsWith("0 of", collected, StringComparison.Ordinal);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}
