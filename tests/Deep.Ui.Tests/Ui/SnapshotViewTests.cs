using System.Text.Json.Nodes;

namespace Deep.Ui.Tests.Ui;

/// <summary>The snapshot list and viewer, fed by real snapshots sent over gRPC.</summary>
[Collection(UiCollection.Name)]
public sealed class SnapshotViewTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    /// <summary>Creates a tracepoint at <paramref name="path"/>, sends a snapshot for it, opens the page on it.</summary>
    private async Task<(IPage Page, ILocator Detail, string TracepointId)> OpenSnapshotAsync(string path, Func<JsonNode, string>? snapshot = null)
    {
        var tp = await CreateTracepointViaApiAsync(fx.Server, path, 31);
        await fx.Agent.SendAsync(fx.Server, snapshot?.Invoke(tp) ?? SnapshotJson.OrderSnapshot(tp).Json);
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        var row = SnapshotRows(page, $"{path}:31");
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await row.ClickAsync();
        var detail = page.Locator("#detail");
        await Expect(detail).ToContainTextAsync(path);
        return (page, detail, tp["ID"]!.GetValue<string>());
    }

    [Fact]
    public async Task Object_that_refers_back_to_an_ancestor_is_marked_as_a_cycle_and_not_expanded_again()
    {
        var (_, detail, _) = await OpenSnapshotAsync("ViewCycle.cs");
        var order = Variable(detail.Locator(".vars"), "order");
        await Row(order).ClickAsync();
        var customer = Variable(order, "Customer");
        await Row(customer).ClickAsync();
        var back = Variable(customer, "LastOrder");
        await Expect(back.Locator("> .row .badge", new() { HasText = "cycle" })).ToHaveCountAsync(1);
        await Expect(back).Not.ToHaveAttributeAsync("aria-expanded", new System.Text.RegularExpressions.Regex(".*"));
        await Row(back).ClickAsync();
        await Expect(back.Locator("li.var")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Redacted_value_and_truncated_collection_are_shown_distinctly()
    {
        var (page, detail, _) = await OpenSnapshotAsync("ViewRedaction.cs");
        var order = Variable(detail.Locator(".vars"), "order");
        await Row(order).ClickAsync();
        await Row(Variable(order, "Customer")).ClickAsync();

        var password = Variable(order, "Customer", "Password").Locator("> .row .value");
        await Expect(password).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bredacted\b"));
        await Expect(password).ToHaveTextAsync("redacted");
        var name = Variable(order, "Customer", "Name").Locator("> .row .value");
        await Expect(name).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bredacted\b"));

        var lines = Variable(order, "Lines");
        await Expect(lines.Locator("> .row .value")).ToHaveTextAsync(SnapshotJson.LinesSummary);
        await Expect(lines.Locator("> .row .badge.warn")).ToHaveTextAsync("truncated");
        await Expect(Variable(order, "Customer").Locator("> .row .badge.warn")).ToHaveCountAsync(0);
        // What was captured of the cut list is still there to open.
        await Row(lines).ClickAsync();
        await Row(Variable(lines, "[0]")).ClickAsync();
        await Expect(Variable(lines, "[0]", "Sku").Locator("> .row .value")).ToHaveTextAsync("SKU-0001");
        await ScreenshotAsync(page, "snapshot-redaction-truncation");
    }

    [Fact]
    public async Task Watches_attributes_resource_and_frames_are_shown()
    {
        var (_, detail, tpId) = await OpenSnapshotAsync("ViewWatches.cs");

        var good = detail.Locator(".watch.good");
        await Expect(good.Locator(".expr")).ToHaveTextAsync("order.Customer");
        await Row(Variable(good, "order.Customer")).ClickAsync();
        await Expect(Variable(good, "order.Customer", "Name").Locator("> .row .value")).ToHaveTextAsync(SnapshotJson.CustomerName);
        var bad = detail.Locator(".watch.error");
        await Expect(bad.Locator(".expr")).ToHaveTextAsync("order.Discount");
        await Expect(bad.Locator(".watch-error")).ToHaveTextAsync(SnapshotJson.WatchError);

        var attributes = detail.GetByRole(AriaRole.Table, new() { Name = "Attributes" });
        await Expect(attributes.Locator("tr", new() { HasText = "thread_name" })).ToContainTextAsync("worker-7");
        await Expect(attributes.Locator("tr", new() { HasText = "tracepoint" })).ToContainTextAsync(tpId);
        var resource = detail.GetByRole(AriaRole.Table, new() { Name = "Resource" });
        await Expect(resource.Locator("tr", new() { HasText = "service.name" })).ToContainTextAsync(SnapshotJson.Service);
        await Expect(resource.Locator("tr", new() { HasText = "host.name" })).ToContainTextAsync("test-host");
        await Expect(detail.Locator("dd.log")).ToHaveTextAsync("[deep] placing order 42");

        // The outer frame has no variables: picking it says why instead of showing the probed frame's.
        var frames = detail.Locator(".frames li");
        await Expect(frames).ToHaveCountAsync(2);
        await frames.Nth(1).ClickAsync();
        await Expect(frames.Nth(1)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bselected\b"));
        await Expect(detail.Locator(".vars")).ToContainTextAsync("probed frame only");
        await frames.Nth(0).ClickAsync();
        await Expect(Variable(detail.Locator(".vars"), "this")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Values_from_the_application_are_shown_as_text_never_as_markup()
    {
        const string hostile = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>";
        var (page, detail, _) = await OpenSnapshotAsync("ViewMarkup.cs", tp =>
        {
            var json = JsonNode.Parse(SnapshotJson.OrderSnapshot(tp).Json)!;
            json["varLookup"]!["7"]!["value"] = hostile;
            json["resource"]!.AsArray().Add(new JsonObject { ["key"] = "<i>k</i>", ["value"] = new JsonObject { ["stringValue"] = hostile } });
            return json.ToJsonString();
        });
        var order = Variable(detail.Locator(".vars"), "order");
        await Row(order).ClickAsync();
        await Row(Variable(order, "Customer")).ClickAsync();
        await Expect(Variable(order, "Customer", "Name").Locator("> .row .value")).ToHaveTextAsync(hostile);
        await Expect(detail.GetByRole(AriaRole.Table, new() { Name = "Resource" })).ToContainTextAsync("<i>k</i>");
        await Expect(detail.Locator("img, b, i")).ToHaveCountAsync(0);
        Assert.NotEqual("pwned", await page.TitleAsync());
    }

    [Fact]
    public async Task Snapshot_list_can_be_narrowed_to_one_tracepoint()
    {
        var first = await CreateTracepointViaApiAsync(fx.Server, "ViewFilterA.cs", 5);
        var second = await CreateTracepointViaApiAsync(fx.Server, "ViewFilterB.cs", 6);
        await fx.Agent.SendAsync(fx.Server, SnapshotJson.OrderSnapshot(first).Json);
        await fx.Agent.SendAsync(fx.Server, SnapshotJson.OrderSnapshot(second).Json);
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await Expect(SnapshotRows(page, "ViewFilterA.cs:5")).ToHaveCountAsync(1);
        await Expect(SnapshotRows(page, "ViewFilterB.cs:6")).ToHaveCountAsync(1);

        await page.Locator("#snap-filter").SelectOptionAsync(second["ID"]!.GetValue<string>());
        await Expect(SnapshotRows(page, "ViewFilterA.cs:5")).ToHaveCountAsync(0);
        await Expect(SnapshotRows(page, "ViewFilterB.cs:6")).ToHaveCountAsync(1);
        await Expect(page.Locator("#snap-list tr")).ToHaveCountAsync(1);

        // The same from the tracepoint's own button.
        await TracepointItem(page, first["ID"]!.GetValue<string>()).GetByRole(AriaRole.Button, new() { Name = "Show snapshots of ViewFilterA.cs:5" }).ClickAsync();
        await Expect(page.Locator("#snap-filter")).ToHaveValueAsync(first["ID"]!.GetValue<string>());
        await Expect(SnapshotRows(page, "ViewFilterB.cs:6")).ToHaveCountAsync(0);
        await Expect(page.Locator("#snap-list tr")).ToHaveCountAsync(1);
        await Expect(SnapshotRows(page, "ViewFilterA.cs:5")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Newest_snapshot_is_listed_first()
    {
        var tp = await CreateTracepointViaApiAsync(fx.Server, "ViewOrder.cs", 8);
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await page.Locator("#snap-filter").SelectOptionAsync(tp["ID"]!.GetValue<string>());
        var (older, olderId) = SnapshotJson.OrderSnapshot(tp);
        await fx.Agent.SendAsync(fx.Server, older);
        await Expect(page.Locator("#snap-list tr")).ToHaveCountAsync(1);
        await Task.Delay(5); // distinct timestamps (milliseconds)
        var (newer, newerId) = SnapshotJson.OrderSnapshot(tp);
        await fx.Agent.SendAsync(fx.Server, newer);
        await Expect(page.Locator("#snap-list tr")).ToHaveCountAsync(2);
        await page.Locator("#snap-list tr").First.ClickAsync();
        await Expect(page.Locator("#detail dd.code", new() { HasText = newerId })).ToHaveCountAsync(1);
        await page.Locator("#snap-list tr").Nth(1).ClickAsync();
        await Expect(page.Locator("#detail dd.code", new() { HasText = olderId })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Address_of_an_open_snapshot_opens_it_again()
    {
        var (page, detail, _) = await OpenSnapshotAsync("ViewAddress.cs");
        var hex = await detail.Locator("dt:text-is('snapshot') + dd").TextContentAsync();
        Assert.Matches("^[0-9a-f]{32}$", hex);
        Assert.EndsWith($"#snapshot={hex}", page.Url, StringComparison.Ordinal);

        var other = await fx.Browser.OpenAsync(new Uri(fx.Server.HttpUrl, $"/#snapshot={hex}"));
        await Expect(other.Locator("#detail dt:text-is('snapshot') + dd")).ToHaveTextAsync(hex!);
        await Expect(other.Locator("#detail")).ToContainTextAsync("ViewAddress.cs:31");

        var missing = new string('0', 32);
        var gone = await fx.Browser.OpenAsync(new Uri(fx.Server.HttpUrl, $"/#snapshot={missing}"));
        await Expect(gone.Locator("#detail .error")).ToContainTextAsync($"There is no snapshot {missing} on this server");
    }
}
