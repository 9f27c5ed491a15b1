namespace Deep.Ui.Tests.Ui;

/// <summary>The UI works under the server's Content-Security-Policy: the browser blocks nothing it needs.</summary>
[Collection(UiCollection.Name)]
public sealed class ContentSecurityPolicyTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    [Fact]
    public async Task The_page_loads_and_creates_a_tracepoint_without_a_single_policy_violation()
    {
        var page = await fx.Browser.OpenAsync(new Uri("about:blank"));
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) violations.Add(message.Text);
        };
        // Every violation also fires this event in the page; collect them from the first script on.
        await page.AddInitScriptAsync("window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));");
        var response = await page.GotoAsync(fx.Server.HttpUrl.ToString());
        Assert.Contains("default-src 'self'", response!.Headers["content-security-policy"], StringComparison.Ordinal);

        await Expect(page.Locator("#conn")).ToHaveTextAsync("connected");
        await CreateTracepointAsync(page, "CspCheck.cs", "12", _ => Task.CompletedTask);
        await Expect(page.Locator("#tp-list li", new() { HasText = "CspCheck.cs" })).ToHaveCountAsync(1);

        var inPage = await page.EvaluateAsync<string[]>("window.__csp");
        Assert.Empty(inPage);
        Assert.Empty(violations);
    }
}
