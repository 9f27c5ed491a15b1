namespace Deep.Ui.Tests.Ui;

/// <summary>The end-to-end path: create in the UI, a snapshot arrives, look inside it, delete.</summary>
[Collection(UiCollection.Name)]
public sealed class TracepointLifecycleTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    [Fact]
    public async Task Tracepoint_created_in_the_ui_receives_a_snapshot_that_can_be_explored_and_is_then_deleted()
    {
        const string file = "LifecycleOrderService.cs";
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);

        await CreateTracepointAsync(page, file, "27", async p =>
        {
            await p.Locator("#tp-condition").FillAsync("order.Total > 100");
            await FillWatchesAsync(p, "order.Id", "order.Customer.Name");
            await p.Locator("#tp-log").FillAsync("placing order {order.Id}");
            await p.Locator("#tp-fire-count").FillAsync("5");
            await p.Locator("#tp-fire-period").FillAsync("0");
            await p.Locator("#tp-stage").SelectOptionAsync("line_end");
            await p.Locator("#tp-span").SelectOptionAsync("line");
            await p.GetByText("Method, targeting").ClickAsync();
            await p.Locator("#tp-targeting").FillAsync("service.name=" + SnapshotJson.Service);
        });

        // The server got exactly what was typed.
        var tp = await PollAsync(() => ServerTracepointAsync(fx.Server, file));
        var id = tp["ID"]!.GetValue<string>();
        Assert.Equal(27, tp["lineNumber"]!.GetValue<int>());
        var args = tp["args"]!;
        Assert.Equal("order.Total > 100", args["condition"]!.GetValue<string>());
        Assert.Equal("placing order {order.Id}", args["log_msg"]!.GetValue<string>());
        Assert.Equal("5", args["fire_count"]!.GetValue<string>());
        Assert.Equal("0", args["fire_period"]!.GetValue<string>());
        Assert.Equal("line_end", args["stage"]!.GetValue<string>());
        Assert.Equal("line", args["span"]!.GetValue<string>());
        Assert.Equal(["order.Id", "order.Customer.Name"], tp["watches"]!.AsArray().Select(w => w!.GetValue<string>()));
        var target = Assert.Single(tp["targeting"]!.AsArray())!;
        Assert.Equal("service.name", target["key"]!.GetValue<string>());
        Assert.Equal(SnapshotJson.Service, target["value"]!["stringValue"]!.GetValue<string>());

        // ...and the UI lists it, with what it does.
        var item = TracepointItem(page, id);
        await Expect(item).ToContainTextAsync($"{file}:27");
        await Expect(item).ToContainTextAsync("order.Total > 100");
        await Expect(item).ToContainTextAsync("order.Customer.Name");
        await Expect(page.Locator("#tp-path")).ToHaveValueAsync("");

        // An agent sends a snapshot for it; the live list shows it without a reload.
        var (json, _) = SnapshotJson.OrderSnapshot(tp);
        await fx.Agent.SendAsync(fx.Server, json);
        var row = SnapshotRows(page, $"{file}:27");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(row).ToContainTextAsync(SnapshotJson.Service);
        await Expect(row).ToContainTextAsync(id[..8]);

        // Open it: frames, then order → Customer → Name, three levels down through var_lookup.
        await row.ClickAsync();
        var detail = page.Locator("#detail");
        await Expect(detail.Locator(".frames li").First).ToContainTextAsync("Shop.OrderService.PlaceOrder");
        await Expect(detail.Locator(".frames li").Nth(1)).ToContainTextAsync("async");
        var vars = detail.Locator(".vars");
        var order = Variable(vars, "order");
        await Expect(order.Locator("> .row .type")).ToHaveTextAsync("Shop.Order");
        await Expect(Variable(order, "Customer")).ToHaveCountAsync(0); // lazy: nothing below until opened
        await Row(order).ClickAsync();
        var customer = Variable(order, "Customer");
        await Row(customer).ClickAsync();
        var name = Variable(customer, "Name");
        await Expect(name.Locator("> .row .value")).ToHaveTextAsync(SnapshotJson.CustomerName);
        await Expect(Row(customer)).ToHaveAttributeAsync("tabindex", "0");
        await Expect(customer).ToHaveAttributeAsync("aria-expanded", "true");
        await ScreenshotAsync(page, "lifecycle-snapshot");

        // Delete it in the UI: gone from the page and from the server.
        await item.GetByRole(AriaRole.Button, new() { Name = $"Delete tracepoint {file}:27" }).ClickAsync();
        await Expect(item).ToHaveCountAsync(0);
        var left = await PollAsync(async () =>
        {
            var all = await ServerTracepointsAsync(fx.Server);
            return all.Any(t => t?["ID"]?.GetValue<string>() == id) ? null : all;
        });
        Assert.DoesNotContain(left!, t => t?["ID"]?.GetValue<string>() == id);
    }
}
