using Deep.Ui.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Deep.Ui.Tests.Ui;

/// <summary>A server started with an API key: the UI asks for it once per tab and sends it as a bearer token.</summary>
public sealed class ApiKeyTests(ITestOutputHelper output) : UiTestBase(output), IAsyncLifetime
{
    private const string Key = "ui-test-key-7f3a";
    private DeepServerProcess _server = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        _browser = await Browser.LaunchAsync();
        _server = await DeepServerProcess.StartAsync(apiKey: Key);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (_browser is not null) await _browser.DisposeAsync();
    }

    [Fact]
    public async Task Ui_asks_for_the_key_refuses_a_wrong_one_and_then_sends_it_as_a_bearer_token()
    {
        var tp = await CreateTracepointViaApiAsync(_server, "KeyProtected.cs", 9);
        var page = await _browser.OpenAsync(_server.HttpUrl);
        var dialog = page.Locator("#key-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToHaveCountAsync(0);

        await page.Locator("#key-input").FillAsync("not-the-key");
        await page.Locator("#key-submit").ClickAsync();
        await Expect(page.Locator("#key-error")).ToHaveTextAsync("That key was refused. Try again.");
        await Expect(dialog).ToBeVisibleAsync();

        var sent = new List<string?>();
        page.Request += (_, r) => { if (r.Url.Contains("/api/", StringComparison.Ordinal)) lock (sent) sent.Add(r.Headers.GetValueOrDefault("authorization")); };
        await page.Locator("#key-input").FillAsync(Key);
        await page.Locator("#key-submit").ClickAsync();
        await Expect(dialog).Not.ToBeVisibleAsync();
        await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToContainTextAsync("KeyProtected.cs:9");
        await Expect(page.Locator("#conn")).ToHaveTextAsync("connected");
        lock (sent)
        {
            Assert.NotEmpty(sent);
            Assert.All(sent, h => Assert.Equal($"Bearer {Key}", h));
        }

        // Asked once: a reload of the same tab keeps the key (sessionStorage)...
        await page.ReloadAsync();
        await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToHaveCountAsync(1);
        await Expect(dialog).Not.ToBeVisibleAsync();
        Assert.Equal(Key, await page.EvaluateAsync<string>("() => sessionStorage.getItem('deep.apiKey')"));

        // ...and a new browser session starts without it.
        var other = await _browser.OpenAsync(_server.HttpUrl);
        await Expect(other.Locator("#key-dialog")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Tracepoint_can_be_created_and_deleted_with_a_key()
    {
        var page = await _browser.OpenAsync(_server.HttpUrl);
        await page.Locator("#key-input").FillAsync(Key);
        await page.Locator("#key-submit").ClickAsync();
        await CreateTracepointAsync(page, "KeyCreate.cs", "21");
        var tp = await PollAsync(() => ServerTracepointAsync(_server, "KeyCreate.cs"));
        var item = TracepointItem(page, tp["ID"]!.GetValue<string>());
        await Expect(item).ToHaveCountAsync(1);
        await item.GetByRole(AriaRole.Button, new() { Name = "Delete tracepoint KeyCreate.cs:21" }).ClickAsync();
        await Expect(item).ToHaveCountAsync(0);
        Assert.DoesNotContain(await ServerTracepointsAsync(_server), t => t?["path"]?.GetValue<string>() == "KeyCreate.cs");
    }
}
