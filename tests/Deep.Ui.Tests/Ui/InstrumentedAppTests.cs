using System.Diagnostics;

namespace Deep.Ui.Tests.Ui;

/// <summary>
/// The whole product through the browser: samples/Shop runs under <c>./deep run</c> (agent + CLR profiler) against the
/// real server; a tracepoint created in the UI is installed in the running app, its snapshot arrives in the live list,
/// a nested variable is expanded, and the tracepoint is deleted.
/// </summary>
[Collection(UiCollection.Name)]
public sealed class InstrumentedAppTests(UiFixture fx, ITestOutputHelper output) : UiTestBase(output)
{
    private static readonly string[] CustomerNames = ["Ada", "Grace", "Linus", "Barbara", "Ken"];

    [Fact]
    public async Task A_tracepoint_created_in_the_ui_fires_in_a_running_instrumented_app()
    {
        var shopDir = Repo.NewTempDir("deep-ui-shop");
        var build = await RunAsync("dotnet", ["build", Path.Combine(Repo.Root, "samples", "Shop", "Shop.csproj"), "-c", "Release", "-o", shopDir, "-nologo", "-v", "q"]);
        Assert.True(build.Code == 0, "building samples/Shop failed:\n" + build.Output);

        using var app = StartUnderDeepRun(Path.Combine(shopDir, "Shop.dll"), fx.Server.GrpcPort, out var appOutput);
        try
        {
            var page = await fx.Browser.OpenAsync(fx.Server.HttpUrl);
            await CreateTracepointAsync(page, "OrderService.cs", "22", async p =>
            {
                await FillWatchesAsync(p, "order.Customer.Name");
                await p.Locator("#tp-fire-count").FillAsync("1");
            });
            var tp = await PollAsync(() => ServerTracepointAsync(fx.Server, "OrderService.cs"));
            var id = tp["ID"]!.GetValue<string>();

            // The agent long-polls, the profiler rewrites PlaceOrder, the next order fires it.
            var row = SnapshotRows(page, "OrderService.cs:22");
            await Expect(row).ToHaveCountAsync(1, new() { Timeout = 120_000 });
            await Expect(row).ToContainTextAsync("shop-ui");

            await row.ClickAsync();
            var detail = page.Locator("#detail");
            await Expect(detail.Locator(".frames li").First).ToContainTextAsync("Shop.OrderService.PlaceOrder");
            var vars = detail.Locator(".vars");
            var order = Variable(vars, "order");
            await Row(order).ClickAsync();
            var customer = Variable(order, "Customer");
            await Row(customer).ClickAsync();
            var name = await Variable(customer, "Name").Locator("> .row .value").InnerTextAsync();
            Assert.Contains(name.Trim('"'), CustomerNames);
            await Expect(Variable(order, "PaymentToken").Locator("> .row")).ToContainTextAsync("redacted");
            await ScreenshotAsync(page, "instrumented-app-snapshot");

            var item = TracepointItem(page, id);
            await item.GetByRole(AriaRole.Button, new() { Name = "Delete tracepoint OrderService.cs:22" }).ClickAsync();
            await Expect(item).ToHaveCountAsync(0);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nthe app under deep run printed:\n{appOutput}\nserver:\n{fx.Server.Output}");
        }
        finally
        {
            try { app.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            try { Directory.Delete(shopDir, recursive: true); } catch (IOException) { }
        }
    }

    private static Process StartUnderDeepRun(string shopDll, int grpcPort, out System.Text.StringBuilder log)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(Repo.Root, "deep"), "run", "--server", $"http://127.0.0.1:{grpcPort}", "--service-name", "shop-ui", "--", "dotnet", shopDll })
            info.ArgumentList.Add(a);
        // The test's one snapshot (fire_count 1) is the process's first capture: cold, on a loaded machine it can pass
        // the default 100 ms budget and stop before order.Customer is read. A generous budget keeps it whole.
        info.Environment["DEEP_MAX_TP_PROCESS_TIME"] = "5000";
        var output = new System.Text.StringBuilder();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log = output;
        return process;
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await o + await e);
    }
}
