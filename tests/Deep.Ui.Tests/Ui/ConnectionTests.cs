namespace Deep.Ui.Tests.Ui;

/// <summary>The page stays open while the server goes away and comes back.</summary>
public sealed class ConnectionTests(ITestOutputHelper output) : UiTestBase(output)
{
    [Fact]
    public async Task Lost_server_is_shown_in_the_header_and_the_page_recovers_when_it_is_back()
    {
        await using var browser = await Browser.LaunchAsync();
        var server = await DeepServerProcess.StartAsync();
        try
        {
            var tp = await CreateTracepointViaApiAsync(server, "ConnectionKept.cs", 3);
            var page = await browser.OpenAsync(server.HttpUrl);
            var conn = page.Locator("#conn");
            await Expect(conn).ToHaveTextAsync("connected");
            await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToHaveCountAsync(1);

            await server.StopAsync();
            await Expect(conn).ToHaveTextAsync("server unreachable");
            await Expect(conn).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bbad\b"));
            // What was on the page stays readable meanwhile.
            await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToHaveCountAsync(1);

            server = await server.RestartAsync();
            await Expect(conn).ToHaveTextAsync("connected");
            var later = await CreateTracepointViaApiAsync(server, "ConnectionBack.cs", 4);
            await Expect(TracepointItem(page, later["ID"]!.GetValue<string>())).ToHaveCountAsync(1);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
