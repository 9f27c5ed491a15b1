using System.Text.Json.Nodes;
using Deep.Ui.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Deep.Ui.Tests.Ui;

/// <summary>
/// Each tracepoint's status per agent. The server has no status endpoint yet (it answers 404): the UI must then
/// show nothing. What it shows once the endpoint exists is checked by answering <c>GET /api/status</c> in the
/// browser with the planned shape, the one place these tests stand in for the server, because that part of the
/// server does not exist yet.
/// </summary>
[Collection(UiCollection.Name)]
public sealed class TracepointStatusTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    [Fact]
    public async Task Without_a_status_endpoint_no_status_is_shown_and_nothing_is_reported_as_broken()
    {
        using (var client = fx.Server.NewApiClient())
        using (var res = await client.GetAsync("api/status"))
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, res.StatusCode);
        }
        var tp = await CreateTracepointViaApiAsync(fx.Server, "StatusNone.cs", 4);
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        var item = TracepointItem(page, tp["ID"]!.GetValue<string>());
        await Expect(item).ToHaveCountAsync(1);
        // Several status polls pass; the header still says connected and the item has no status line.
        await page.WaitForResponseAsync(r => r.Url.EndsWith("/api/status", StringComparison.Ordinal) && r.Status == 404);
        await page.WaitForResponseAsync(r => r.Url.EndsWith("/api/status", StringComparison.Ordinal) && r.Status == 404);
        await Expect(page.Locator("#conn")).ToHaveTextAsync("connected");
        await Expect(item.Locator(".tp-status .badge")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Status_per_agent_is_shown_on_each_tracepoint_with_the_error_reason()
    {
        var installed = await CreateTracepointViaApiAsync(fx.Server, "StatusInstalled.cs", 14);
        var broken = await CreateTracepointViaApiAsync(fx.Server, "StatusBroken.cs", 15);
        var waiting = await CreateTracepointViaApiAsync(fx.Server, "StatusWaiting.cs", 16);
        string Id(JsonNode tp) => tp["ID"]!.GetValue<string>();
        var status = new JsonObject
        {
            ["agents"] = new JsonArray(
                new JsonObject
                {
                    ["agent"] = "agent-1", ["service"] = "shop",
                    ["tracepoints"] = new JsonArray(
                        new JsonObject { ["id"] = Id(installed), ["state"] = "installed", ["detail"] = "Shop.OrderService.PlaceOrder", ["updated"] = "2026-11-22T00:00:00Z" },
                        new JsonObject { ["id"] = Id(broken), ["state"] = "error", ["detail"] = "no source file matches StatusBroken.cs" }),
                },
                new JsonObject
                {
                    ["agent"] = "agent-2", ["service"] = "billing",
                    ["tracepoints"] = new JsonArray(
                        new JsonObject { ["id"] = Id(installed), ["state"] = "pending", ["detail"] = "assembly not loaded yet" }),
                }),
        };
        var context = await fx.Browser.Instance.NewContextAsync(new() { ViewportSize = new() { Width = 1500, Height = 1000 } });
        await context.RouteAsync("**/api/status", route => route.FulfillAsync(new() { Status = 200, ContentType = "application/json", Body = status.ToJsonString() }));
        var page = await context.NewPageAsync();
        await page.GotoAsync(fx.Server.HttpUrl.ToString());

        var ok = TracepointItem(page, Id(installed)).Locator(".tp-status .badge");
        await Expect(ok).ToHaveCountAsync(2);
        await Expect(ok.Nth(0)).ToHaveTextAsync("installed shop (agent-1) · Shop.OrderService.PlaceOrder");
        await Expect(ok.Nth(0)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstate-installed\b"));
        await Expect(ok.Nth(1)).ToHaveTextAsync("pending billing (agent-2) · assembly not loaded yet");
        var err = TracepointItem(page, Id(broken)).Locator(".tp-status .badge");
        await Expect(err).ToHaveTextAsync("error shop (agent-1) · no source file matches StatusBroken.cs");
        await Expect(err).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstate-error\b"));
        await Expect(TracepointItem(page, Id(waiting)).Locator(".tp-status")).ToHaveTextAsync("no agent has reported it yet");
        await ScreenshotAsync(page, "tracepoint-status");
        await context.CloseAsync();
    }
}
