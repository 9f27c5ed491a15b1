using System.Text.Json.Nodes;
using Deep.Ui.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Deep.Ui.Tests.Ui;

/// <summary>The new-tracepoint form: the server's validation errors appear next to the field they are about.</summary>
[Collection(UiCollection.Name)]
public sealed class TracepointFormTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    public static TheoryData<string, string, string, string> BadFields => new()
    {
        // form input, what is typed, the form field that must show the error, the tracepoint's arg (or "watches")
        { "#tp-fire-count", "-5", "fire_count", "fire_count" },
        { "#tp-fire-period", "soon", "fire_period", "fire_period" },
        { "#tp-condition", "order.Total > (1", "condition", "condition" },
        { "#tp-log", "total {order.Total", "log_msg", "log_msg" },
        { "#tp-watches", "order.Lines[0", "watches", "watches" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task Server_validation_error_is_shown_next_to_the_field_it_is_about(string input, string value, string errorFor, string arg)
    {
        var path = $"Form{errorFor}.cs";
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, path, "10", p => p.Locator(input).FillAsync(value));

        // The message is the server's own for the same tracepoint, not a text the UI made up.
        var tracepoint = new JsonObject { ["path"] = path, ["lineNumber"] = 10 };
        if (arg == "watches") tracepoint["watches"] = new JsonArray(value);
        else tracepoint["args"] = new JsonObject { [arg] = value };
        var expected = await ServerRefusalAsync(fx.Server, tracepoint);

        var error = page.Locator($"#tp-form [data-error-for='{errorFor}']");
        await Expect(error).ToHaveTextAsync(expected);
        await Expect(page.Locator(input)).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator(input)).ToBeFocusedAsync();
        // Only that field is marked, the typed values stay for correcting, and nothing was created.
        await Expect(page.Locator("#tp-form .field-error:not(:empty)")).ToHaveCountAsync(1);
        await Expect(page.Locator("#tp-path")).ToHaveValueAsync(path);
        Assert.DoesNotContain(await ServerTracepointsAsync(fx.Server), t => t?["path"]?.GetValue<string>() == path);
        if (errorFor == "condition") await ScreenshotAsync(page, "form-validation-error");
    }

    [Fact]
    public async Task Missing_file_is_reported_next_to_the_file_field_and_cleared_once_fixed()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "", "12");
        var expected = await ServerRefusalAsync(fx.Server, new JsonObject { ["path"] = "", ["lineNumber"] = 12 });
        await Expect(page.Locator("[data-error-for='path']")).ToHaveTextAsync(expected);

        await page.Locator("#tp-path").FillAsync("FormFixedLater.cs");
        await page.Locator("#tp-create").ClickAsync();
        await Expect(page.Locator("#tp-list li.tp", new() { HasText = "FormFixedLater.cs:12" })).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-error-for='path']")).ToBeEmptyAsync();
        await Expect(page.Locator("#tp-path")).Not.ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task Missing_line_is_reported_next_to_the_line_field()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "FormNoLine.cs", "");
        var expected = await ServerRefusalAsync(fx.Server, new JsonObject { ["path"] = "FormNoLine.cs" });
        await Expect(page.Locator("[data-error-for='lineNumber']")).ToHaveTextAsync(expected);
    }

    [Fact]
    public async Task Targeting_that_is_not_key_value_is_refused_before_sending()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        var posts = 0;
        page.Request += (_, r) => { if (r.Method == "POST") posts++; };
        await CreateTracepointAsync(page, "FormTargeting.cs", "3", async p =>
        {
            await p.GetByText("Method, targeting").ClickAsync();
            await p.Locator("#tp-targeting").FillAsync("service.name");
        });
        await Expect(page.Locator("[data-error-for='targeting']")).ToContainTextAsync("is not key=value");
        Assert.Equal(0, posts);
    }

    [Fact]
    public async Task Method_tracepoint_needs_no_line_and_is_listed_by_its_method()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "FormMethod.cs", "", async p =>
        {
            await p.GetByText("Method, targeting").ClickAsync();
            await p.Locator("#tp-method").FillAsync("PlaceOrder");
            await p.Locator("#tp-class").FillAsync("Shop.OrderService");
            await p.Locator("#tp-stage").SelectOptionAsync("method_capture");
        });
        var tp = await PollAsync(() => ServerTracepointAsync(fx.Server, "FormMethod.cs"));
        Assert.Equal("PlaceOrder", tp["args"]!["method_name"]!.GetValue<string>());
        Assert.Equal("Shop.OrderService", tp["args"]!["class_name"]!.GetValue<string>());
        Assert.Equal("method_capture", tp["args"]!["stage"]!.GetValue<string>());
        await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToContainTextAsync("Shop.OrderService.PlaceOrder() in FormMethod.cs");
    }

    [Fact]
    public async Task Tracepoint_created_elsewhere_appears_in_the_list_without_a_reload()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await Expect(page.Locator("#conn")).ToHaveTextAsync("connected");
        var tp = await CreateTracepointViaApiAsync(fx.Server, "FormFromCli.cs", 77);
        await Expect(TracepointItem(page, tp["ID"]!.GetValue<string>())).ToContainTextAsync("FormFromCli.cs:77", new() { Timeout = 15_000 });
    }
}
