using System.Text.Json.Nodes;

namespace Deep.Ui.Tests.Ui;

/// <summary>
/// Each tracepoint's status per agent, as agents report it to the real server (deep-dotnet's ProbeStatusService,
/// sent here by Python's grpcio from the repository's own status.proto) and the UI reads it from <c>/api/status</c>.
/// </summary>
[Collection(UiCollection.Name)]
public sealed class TracepointStatusTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    [Fact]
    public async Task A_tracepoint_no_agent_has_reported_says_so_and_nothing_is_reported_as_broken()
    {
        var tp = await CreateTracepointViaApiAsync(fx.Server, "StatusNone.cs", 4);
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        var item = TracepointItem(page, tp["ID"]!.GetValue<string>());
        await Expect(item).ToHaveCountAsync(1);
        await page.WaitForResponseAsync(r => r.Url.EndsWith("/api/status", StringComparison.Ordinal) && r.Status == 200);
        await Expect(page.Locator("#conn")).ToHaveTextAsync("connected");
        await Expect(item.Locator(".tp-status")).ToHaveTextAsync("no agent has reported it yet");
    }

    [Fact]
    public async Task Status_per_agent_is_shown_on_each_tracepoint_with_where_it_went_and_the_error_reason()
    {
        var installed = await CreateTracepointViaApiAsync(fx.Server, "StatusInstalled.cs", 14);
        var broken = await CreateTracepointViaApiAsync(fx.Server, "StatusBroken.cs", 15);
        var waiting = await CreateTracepointViaApiAsync(fx.Server, "StatusWaiting.cs", 16);
        string Id(JsonNode tp) => tp["ID"]!.GetValue<string>();
        JsonObject Report(string agent, string service, params JsonObject[] statuses) => new()
        {
            ["agentId"] = agent,
            ["resource"] = new JsonArray(new JsonObject { ["key"] = "service.name", ["value"] = new JsonObject { ["stringValue"] = service } }),
            ["statuses"] = new JsonArray(statuses),
        };
        await fx.Agent.ReportStatusAsync(fx.Server, Report("agent-1", "shop",
            new JsonObject { ["tracepointId"] = Id(installed), ["state"] = "INSTALLED", ["method"] = "Shop.OrderService.PlaceOrder", ["ilOffset"] = 26, ["lineUsed"] = 14 },
            new JsonObject { ["tracepointId"] = Id(broken), ["state"] = "ERROR", ["detail"] = "no source file matches StatusBroken.cs" }).ToJsonString());
        await fx.Agent.ReportStatusAsync(fx.Server, Report("agent-2", "billing",
            new JsonObject { ["tracepointId"] = Id(installed), ["state"] = "PENDING", ["detail"] = "assembly not loaded yet" }).ToJsonString());

        var context = await fx.Browser.Instance.NewContextAsync(new() { ViewportSize = new() { Width = 1500, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(fx.Server.HttpUrl.ToString());

        var ok = TracepointItem(page, Id(installed)).Locator(".tp-status .badge");
        await Expect(ok).ToHaveCountAsync(2);
        // The server orders agents by service: billing before shop.
        await Expect(ok.Nth(0)).ToHaveTextAsync("pending billing (agent-2) · assembly not loaded yet");
        await Expect(ok.Nth(1)).ToHaveTextAsync("installed shop (agent-1) · in Shop.OrderService.PlaceOrder, line 14");
        await Expect(ok.Nth(1)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstate-installed\b"));
        var err = TracepointItem(page, Id(broken)).Locator(".tp-status .badge");
        await Expect(err).ToHaveTextAsync("error shop (agent-1) · no source file matches StatusBroken.cs");
        await Expect(err).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bstate-error\b"));
        await Expect(TracepointItem(page, Id(waiting)).Locator(".tp-status")).ToHaveTextAsync("no agent has reported it yet");
        await ScreenshotAsync(page, "tracepoint-status");

        // The agent's next report replaces its last: the error is fixed, the probe fired.
        await fx.Agent.ReportStatusAsync(fx.Server, Report("agent-1", "shop",
            new JsonObject { ["tracepointId"] = Id(installed), ["state"] = "FIRED", ["method"] = "Shop.OrderService.PlaceOrder", ["lineUsed"] = 14, ["fireCount"] = "3" }).ToJsonString());
        await Expect(ok.Nth(1)).ToHaveTextAsync("fired shop (agent-1) · in Shop.OrderService.PlaceOrder, line 14, fired 3×");
        await Expect(TracepointItem(page, Id(broken)).Locator(".tp-status")).ToHaveTextAsync("no agent has reported it yet");
        await context.CloseAsync();
    }
}
