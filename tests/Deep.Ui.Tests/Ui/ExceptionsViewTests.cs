using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Deep.Ui.Tests.Ui;

/// <summary>
/// The "Exceptions" view: Exception Replay snapshots (as an agent sends them: tracepoint <c>exception-&lt;fingerprint&gt;</c>,
/// <c>exception.*</c> attributes, every app frame with variables) grouped by fingerprint; a row opens the snapshot.
/// </summary>
[Collection(UiCollection.Name)]
public sealed class ExceptionsViewTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    [Fact]
    public async Task An_exception_row_opens_its_snapshot_with_the_variables_of_every_app_frame()
    {
        var fingerprint = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await fx.Agent.SendAsync(fx.Server, ReplaySnapshot(fingerprint, count: 3, orderId: 41));
        await fx.Agent.SendAsync(fx.Server, ReplaySnapshot(fingerprint, count: 2, orderId: 43)); // the newer one describes the row

        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        var row = page.Locator("#exc-list tr", new() { Has = page.Locator($"a[data-fingerprint='{fingerprint}']") });
        await Expect(row).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(row).ToContainTextAsync("System.InvalidOperationException");
        await Expect(row).ToContainTextAsync("order 43 refused");
        await Expect(row).ToContainTextAsync("Shop.Checkout.Check");
        await Expect(row.Locator("td").Nth(3)).ToHaveTextAsync("5"); // escapes counted over both snapshots

        await row.Locator("a").ClickAsync();
        var detail = page.Locator("#detail");
        await Expect(detail).ToContainTextAsync("exception.fingerprint");
        var frames = detail.GetByRole(AriaRole.List, new() { Name = "Frames" }).Locator("li");
        await Expect(frames).ToHaveCountAsync(2);
        var vars = detail.Locator(".vars");
        await Expect(vars).ToContainTextAsync("total");
        await frames.Nth(1).ClickAsync(); // the outer app frame has its own values
        await Expect(vars).ToContainTextAsync("orderId");
        await Expect(vars).ToContainTextAsync("43");
        await ScreenshotAsync(page, "exceptions-view");
    }

    private static string ReplaySnapshot(string fingerprint, long count, int orderId)
    {
        static JsonObject Attr(string key, JsonObject value) => new() { ["key"] = key, ["value"] = value };
        static JsonObject Str(string s) => new() { ["stringValue"] = s };
        var nowNanos = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000 + orderId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var snapshot = new JsonObject
        {
            ["ID"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)),
            ["tracepoint"] = new JsonObject { ["ID"] = "exception-" + fingerprint, ["path"] = "/src/Shop/Checkout.cs", ["lineNumber"] = 12 },
            ["tsNanos"] = nowNanos,
            ["frames"] = new JsonArray(
                new JsonObject
                {
                    ["fileName"] = "/src/Shop/Checkout.cs", ["lineNumber"] = 12, ["methodName"] = "Check", ["className"] = "Shop.Checkout", ["appFrame"] = true,
                    ["variables"] = new JsonArray(new JsonObject { ["ID"] = "1", ["name"] = "total" }),
                },
                new JsonObject
                {
                    ["fileName"] = "/src/Shop/Checkout.cs", ["lineNumber"] = 5, ["methodName"] = "Place", ["className"] = "Shop.Checkout", ["appFrame"] = true,
                    ["variables"] = new JsonArray(new JsonObject { ["ID"] = "2", ["name"] = "orderId" }),
                }),
            ["varLookup"] = new JsonObject
            {
                ["1"] = new JsonObject { ["type"] = "int", ["value"] = "700", ["hash"] = "" },
                ["2"] = new JsonObject { ["type"] = "int", ["value"] = orderId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["hash"] = "" },
            },
            ["attributes"] = new JsonArray(
                Attr("stage", Str("exception")),
                Attr("exception.type", Str("System.InvalidOperationException")),
                Attr("exception.message", Str($"order {orderId} refused")),
                Attr("exception.fingerprint", Str(fingerprint)),
                Attr("exception.where", Str("Shop.Checkout.Check")),
                Attr("exception.replay", new JsonObject { ["boolValue"] = true }),
                Attr("exception.count", new JsonObject { ["intValue"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture) })),
            ["resource"] = new JsonArray(Attr("service.name", Str(SnapshotJson.Service))),
        };
        return snapshot.ToJsonString();
    }
}
