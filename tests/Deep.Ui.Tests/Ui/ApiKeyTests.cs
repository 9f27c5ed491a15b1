namespace Deep.Ui.Tests.Ui;

/// <summary>A server started with an API key, and a browser, shared by <see cref="ApiKeyTests"/>.</summary>
public sealed class ApiKeyFixture : IAsyncLifetime
{
    public const string Key = "ui-test-key-7f3a";

    internal DeepServerProcess Server { get; private set; } = null!;
    internal Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Browser = await Browser.LaunchAsync();
        Server = await DeepServerProcess.StartAsync(apiKey: Key);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        if (Browser is not null) await Browser.DisposeAsync();
    }
}

/// <summary>A server started with an API key: the UI asks for it once per tab and sends it as a bearer token.</summary>
public sealed class ApiKeyTests(ApiKeyFixture fx, ITestOutputHelper output) : UiTestBase(output), IClassFixture<ApiKeyFixture>
{
    private const string Key = ApiKeyFixture.Key;
    private DeepServerProcess Server => fx.Server;
    private Browser Browser => fx.Browser;

    [Fact]
    public async Task Ui_asks_for_the_key_refuses_a_wrong_one_and_then_sends_it_as_a_bearer_token()
    {
        var tp = await CreateTracepointViaApiAsync(Server, "KeyProtected.cs", 9);
        var page = await Browser.OpenAsync(Server.HttpUrl);
        var dialog = page.Locator("#key-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.Locator("#conn")).ToHaveTextAsync("API key needed");
        await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToHaveCountAsync(0);

        await page.Locator("#key-input").FillAsync("not-the-key");
        await page.Locator("#key-submit").ClickAsync();
        await Expect(page.Locator("#key-error")).ToHaveTextAsync("That key was refused. Try again.");
        await Expect(dialog).ToBeVisibleAsync();
        await ScreenshotAsync(page, "api-key-refused");

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
        var other = await Browser.OpenAsync(Server.HttpUrl);
        await Expect(other.Locator("#key-dialog")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Tracepoint_can_be_created_and_deleted_with_a_key()
    {
        var page = await Browser.OpenAsync(Server.HttpUrl);
        await page.Locator("#key-input").FillAsync(Key);
        await page.Locator("#key-submit").ClickAsync();
        await CreateTracepointAsync(page, "KeyCreate.cs", "21");
        var tp = await PollAsync(() => ServerTracepointAsync(Server, "KeyCreate.cs"));
        var item = TracepointItem(page, tp["ID"]!.GetValue<string>());
        await Expect(item).ToHaveCountAsync(1);
        await item.GetByRole(AriaRole.Button, new() { Name = "Delete tracepoint KeyCreate.cs:21" }).ClickAsync();
        await Expect(item).ToHaveCountAsync(0);
        Assert.DoesNotContain(await ServerTracepointsAsync(Server), t => t?["path"]?.GetValue<string>() == "KeyCreate.cs");
    }
}
