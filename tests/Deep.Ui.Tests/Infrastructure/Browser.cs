using Microsoft.Playwright;

namespace Deep.Ui.Tests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright, headless. Never downloads a browser.</summary>
internal sealed class Browser : IAsyncDisposable
{
    /// <summary>Where Debian's chromium package puts the browser.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Instance = browser;
    }

    /// <summary>The launched browser.</summary>
    public IBrowser Instance { get; }

    /// <summary>Launches Chromium, or fails saying how to install it.</summary>
    public static async Task<Browser> LaunchAsync(string executablePath = ChromiumPath)
    {
        if (!File.Exists(executablePath))
            throw new InvalidOperationException($"Chromium is not installed at {executablePath}: run scripts/prereqs.sh (it installs Debian's chromium package).");
        // Two cores shared with builds: give every expectation time (they return as soon as they hold).
        Assertions.SetDefaultExpectTimeout(15_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A fresh page (its own context: own sessionStorage) opened at <paramref name="url"/>.</summary>
    public async Task<IPage> OpenAsync(Uri url)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 1000 } });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(url.ToString());
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await Instance.DisposeAsync();
        _playwright.Dispose();
    }
}
