using System.Text.Json.Nodes;

namespace Deep.Ui.Tests.Ui;

/// <summary>The new-tracepoint form: the server's validation errors appear next to the field they are about.</summary>
[Collection(UiCollection.Name)]
public sealed class TracepointFormTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    public static TheoryData<string, string, string> BadFields => new()
    {
        // form input, what is typed, the field the server names (the input's error line shows it)
        { "#tp-fire-count", "-5", "args.fire_count" },
        { "#tp-fire-period", "soon", "args.fire_period" },
        { "#tp-condition", "order.Total > (1", "args.condition" },
        { "#tp-log", "total {order.Total", "args.log_msg" },
        { "#tp-line", "ten", "line_number" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task Server_validation_error_is_shown_next_to_the_field_it_is_about(string input, string value, string field)
    {
        var path = $"Form{field}.cs";
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, path, "10", p => p.Locator(input).FillAsync(value));

        // The message is the server's own for the same tracepoint, not a text the UI made up.
        var tracepoint = new JsonObject { ["path"] = path, ["lineNumber"] = 10 };
        if (field == "line_number") tracepoint["lineNumber"] = value;
        else tracepoint["args"] = new JsonObject { [field["args.".Length..]] = value };
        var expected = await ServerRefusalAsync(fx.Server, tracepoint, field);

        await Expect(FieldError(page, field)).ToHaveTextAsync(expected);
        await Expect(page.Locator(input)).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator(input)).ToBeFocusedAsync();
        // Only that field is marked, the typed values stay for correcting, and nothing was created.
        await Expect(page.Locator("#tp-form .field-error:not(:empty)")).ToHaveCountAsync(1);
        await Expect(page.Locator("#form-error")).ToBeHiddenAsync();
        await Expect(page.Locator("#tp-path")).ToHaveValueAsync(path);
        Assert.DoesNotContain(await ServerTracepointsAsync(fx.Server), t => t?["path"]?.GetValue<string>() == path);
        if (field == "args.condition") await ScreenshotAsync(page, "form-validation-error");
    }

    [Fact]
    public async Task A_bad_second_watch_is_shown_next_to_the_second_watch_and_fixing_it_creates_the_tracepoint()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "FormWatches.cs", "8", p => FillWatchesAsync(p, "order.Id", "order.Lines[0"));
        var expected = await ServerRefusalAsync(fx.Server,
            new JsonObject { ["path"] = "FormWatches.cs", ["lineNumber"] = 8, ["watches"] = new JsonArray("order.Id", "order.Lines[0") }, "watches[1]");

        var second = page.Locator("#tp-watch-2");
        await Expect(second.Locator("xpath=..").Locator(".field-error")).ToHaveTextAsync(expected);
        await Expect(second).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(second).ToBeFocusedAsync();
        await Expect(page.Locator("#tp-watch-1")).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#tp-form .field-error:not(:empty)")).ToHaveCountAsync(1);

        await second.FillAsync("order.Lines[0]");
        await page.Locator("#tp-create").ClickAsync();
        await Expect(page.Locator("#tp-list li.tp", new() { HasText = "FormWatches.cs:8" })).ToHaveCountAsync(1);
        await Expect(page.Locator("#tp-form .field-error:not(:empty)")).ToHaveCountAsync(0);
        var tp = await ServerTracepointAsync(fx.Server, "FormWatches.cs");
        Assert.Equal(["order.Id", "order.Lines[0]"], tp["watches"]!.AsArray().Select(w => w!.GetValue<string>()));
        // The form is ready for the next tracepoint: one empty watch input.
        await Expect(page.Locator("#tp-watches input")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_watch_is_matched_by_what_was_sent_when_an_input_before_it_was_left_empty()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "FormEmptyWatch.cs", "8", async p =>
        {
            await FillWatchesAsync(p, "a", "b.(", "c");
            await p.Locator("#tp-watch-1").FillAsync("");
        });
        // Sent as ["b.(", "c"]: the server's watches[0] is the second input.
        await Expect(page.Locator("#tp-watch-2")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#tp-watch-2").Locator("xpath=..").Locator(".field-error")).ToContainTextAsync("'b.(' is malformed");
        await Expect(page.Locator("#tp-watch-1")).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#tp-watch-3")).Not.ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task Two_problems_at_once_are_each_shown_next_to_their_field_and_fixing_both_creates_it()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "FormTwo.cs", "5", async p =>
        {
            await p.Locator("#tp-fire-count").FillAsync("-5");
            await p.Locator("#tp-condition").FillAsync("order.Total >");
        });
        var errors = await ServerRefusalAsync(fx.Server, new JsonObject
        {
            ["path"] = "FormTwo.cs", ["lineNumber"] = 5, ["args"] = new JsonObject { ["fire_count"] = "-5", ["condition"] = "order.Total >" },
        });
        Assert.Equal(["args.fire_count", "args.condition"], errors.Select(e => e.Field));

        await Expect(FieldError(page, "args.fire_count")).ToHaveTextAsync(errors[0].Message);
        await Expect(FieldError(page, "args.condition")).ToHaveTextAsync(errors[1].Message);
        await Expect(page.Locator("#tp-form .field-error:not(:empty)")).ToHaveCountAsync(2);
        await Expect(page.Locator("#tp-fire-count")).ToBeFocusedAsync();

        // Fixing one leaves the other.
        await page.Locator("#tp-fire-count").FillAsync("3");
        await page.Locator("#tp-create").ClickAsync();
        await Expect(FieldError(page, "args.fire_count")).ToBeEmptyAsync();
        await Expect(FieldError(page, "args.condition")).ToHaveTextAsync(errors[1].Message);

        await page.Locator("#tp-condition").FillAsync("order.Total > 100");
        await page.Locator("#tp-create").ClickAsync();
        await Expect(page.Locator("#tp-list li.tp", new() { HasText = "FormTwo.cs:5" })).ToHaveCountAsync(1);
        await Expect(page.Locator("#tp-form .field-error:not(:empty)")).ToHaveCountAsync(0);
        await Expect(page.Locator("#tp-form [aria-invalid]")).ToHaveCountAsync(0);
        var tp = await ServerTracepointAsync(fx.Server, "FormTwo.cs");
        Assert.Equal("3", tp["args"]!["fire_count"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_error_about_no_form_field_is_shown_in_the_forms_general_area()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        // Over the 64 KiB a tracepoint may be: the server names the tracepoint as a whole.
        await CreateTracepointAsync(page, "FormHuge.cs", "5", p => FillWatchesAsync(p, new string('x', 70_000)));
        await Expect(page.Locator("#form-error")).ToBeVisibleAsync();
        await Expect(page.Locator("#form-error")).ToContainTextAsync("tracepoint: the body is");
        await Expect(page.Locator("#tp-form .field-error:not(:empty)")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Missing_file_is_reported_next_to_the_file_field_and_cleared_once_fixed()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "", "12");
        var expected = await ServerRefusalAsync(fx.Server, new JsonObject { ["path"] = "", ["lineNumber"] = 12 }, "path");
        await Expect(FieldError(page, "path")).ToHaveTextAsync(expected);

        await page.Locator("#tp-path").FillAsync("FormFixedLater.cs");
        await page.Locator("#tp-create").ClickAsync();
        await Expect(page.Locator("#tp-list li.tp", new() { HasText = "FormFixedLater.cs:12" })).ToHaveCountAsync(1);
        await Expect(FieldError(page, "path")).ToBeEmptyAsync();
        await Expect(page.Locator("#tp-path")).Not.ToHaveAttributeAsync("aria-invalid", "true");
    }

    [Fact]
    public async Task Missing_line_is_reported_next_to_the_line_field()
    {
        var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
        await CreateTracepointAsync(page, "FormNoLine.cs", "");
        var expected = await ServerRefusalAsync(fx.Server, new JsonObject { ["path"] = "FormNoLine.cs" }, "line_number");
        await Expect(FieldError(page, "line_number")).ToHaveTextAsync(expected);
    }

    /// <summary>The error line of the form input for the server's <paramref name="field"/>.</summary>
    private static ILocator FieldError(IPage page, string field) => page.Locator($"#tp-form [data-error-for='{field}']");

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
        await Expect(FieldError(page, "targeting")).ToContainTextAsync("is not key=value");
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
