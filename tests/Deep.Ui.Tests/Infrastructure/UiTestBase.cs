using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Deep.Ui.Tests.Infrastructure;

/// <summary>What the UI tests share: the server's own view of things, screenshots, and the page's locators.</summary>
public abstract class UiTestBase
{
    private readonly ITestOutputHelper _output;

    private protected UiTestBase(ITestOutputHelper output) => _output = output;

    /// <summary>The tracepoints as the server has them (its HTTP API, not the UI).</summary>
    private protected static async Task<JsonArray> ServerTracepointsAsync(DeepServerProcess server)
    {
        using var client = server.NewApiClient();
        var body = JsonNode.Parse(await client.GetStringAsync("api/tracepoints"))!;
        return body["response"] as JsonArray ?? [];
    }

    /// <summary>The server's tracepoint with <paramref name="path"/>; fails if there is not exactly one.</summary>
    private protected static async Task<JsonNode> ServerTracepointAsync(DeepServerProcess server, string path)
    {
        var all = await ServerTracepointsAsync(server);
        var matching = all.Where(t => t?["path"]?.GetValue<string>() == path).ToList();
        Assert.True(matching.Count == 1, $"expected one tracepoint at {path} on the server, found {matching.Count}: {all.ToJsonString()}");
        return matching[0]!;
    }

    /// <summary>Creates a tracepoint through the HTTP API (not the UI) and returns it as the server stored it.</summary>
    private protected static async Task<JsonNode> CreateTracepointViaApiAsync(DeepServerProcess server, string path, int line)
    {
        using var client = server.NewApiClient();
        var body = new JsonObject { ["tracepoint"] = new JsonObject { ["path"] = path, ["lineNumber"] = line } };
        using var res = await client.PostAsync("api/tracepoints", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var text = await res.Content.ReadAsStringAsync();
        Assert.True(res.IsSuccessStatusCode, $"creating a tracepoint failed: {(int)res.StatusCode} {text}");
        return JsonNode.Parse(text)!["tracepoint"]!;
    }

    /// <summary>Posts a tracepoint to the API and returns the server's problems with it (it must refuse it), in order.</summary>
    private protected static async Task<IReadOnlyList<(string Field, string Message)>> ServerRefusalAsync(DeepServerProcess server, JsonObject tracepoint)
    {
        using var client = server.NewApiClient();
        var body = new JsonObject { ["tracepoint"] = tracepoint };
        using var res = await client.PostAsync("api/tracepoints", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var text = await res.Content.ReadAsStringAsync();
        Assert.True((int)res.StatusCode == 400, $"expected the server to refuse {tracepoint.ToJsonString()}, got {(int)res.StatusCode} {text}");
        return JsonNode.Parse(text)!["errors"]!.AsArray()
            .Select(e => (e!["field"]!.GetValue<string>(), e["message"]!.GetValue<string>())).ToList();
    }

    /// <summary>The server's one problem with a tracepoint: its message (the field must be <paramref name="field"/>).</summary>
    private protected static async Task<string> ServerRefusalAsync(DeepServerProcess server, JsonObject tracepoint, string field)
    {
        var only = Assert.Single(await ServerRefusalAsync(server, tracepoint));
        Assert.Equal(field, only.Field);
        return only.Message;
    }

    /// <summary>Types the watches into the form's watch inputs, one each (a new empty input appears after the last filled).</summary>
    private protected static async Task FillWatchesAsync(IPage page, params string[] watches)
    {
        for (var i = 0; i < watches.Length; i++) await page.Locator($"#tp-watch-{i + 1}").FillAsync(watches[i]);
    }

    /// <summary>Retries until <paramref name="get"/> returns a value without failing (or 15 s pass).</summary>
    private protected static async Task<T> PollAsync<T>(Func<Task<T>> get)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        for (;;)
        {
            try
            {
                var v = await get();
                if (v is not null) return v;
            }
            catch (Xunit.Sdk.XunitException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow >= deadline) throw new TimeoutException("condition not met within 15 s");
            await Task.Delay(100);
        }
    }

    /// <summary>Saves a screenshot of the page into the test output folder and says where.</summary>
    private protected async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        _output.WriteLine($"screenshot: {file}");
    }

    /// <summary>Fills the new-tracepoint form's file and line and submits it.</summary>
    private protected static async Task CreateTracepointAsync(IPage page, string path, string line, Func<IPage, Task>? more = null)
    {
        await page.Locator("#tp-path").FillAsync(path);
        await page.Locator("#tp-line").FillAsync(line);
        if (more is not null) await more(page);
        await page.Locator("#tp-create").ClickAsync();
    }

    /// <summary>The list item of the tracepoint with this id.</summary>
    private protected static ILocator TracepointItem(IPage page, string id) => page.Locator($"#tp-list li.tp[data-id='{id}']");

    /// <summary>The row of the snapshot list with this snapshot id (base64, as the API gives it).</summary>
    private protected static ILocator SnapshotRows(IPage page, string text) => page.Locator("#snap-list tr", new PageLocatorOptions { HasText = text });

    /// <summary>A variable node by the names on its path from the frame's variables.</summary>
    private protected static ILocator Variable(ILocator scope, params string[] names)
    {
        var node = scope;
        foreach (var n in names) node = node.Locator($"li.var[data-name='{n}']").First;
        return node;
    }

    /// <summary>The clickable row of a variable node.</summary>
    private protected static ILocator Row(ILocator variable) => variable.Locator("> .row");
}
