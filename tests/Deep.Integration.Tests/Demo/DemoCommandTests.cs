using System.Text.RegularExpressions;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Demo;

/// <summary><c>./deep demo</c> is the first command a newcomer runs: it must work end to end and leave nothing behind.</summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class DemoCommandTests
{
    [Fact]
    public async Task The_demo_shows_every_kind_of_tracepoint_working_and_stops_what_it_started()
    {
        var deep = await Builds.DeepAsync();

        var (code, output) = await Exec.RunAsync(deep, ["demo", "--timeout", "120"], timeout: TimeSpan.FromMinutes(6));

        Assert.True(code == 0, $"deep demo exited {code}:\n{output}");
        Assert.Contains("ok      snapshots with watches", output, StringComparison.Ordinal);
        Assert.Contains("ok      conditional snapshots (total > 300)", output, StringComparison.Ordinal);
        Assert.Contains("ok      log lines from the log point", output, StringComparison.Ordinal);
        Assert.Contains("ok      metric measurements", output, StringComparison.Ordinal);
        Assert.Contains("ok      method captures of PlaceOrder", output, StringComparison.Ordinal);
        Assert.Contains("ok      exceptions leaving PlaceOrder", output, StringComparison.Ordinal);
        Assert.Contains("ok      spans around PlaceOrder", output, StringComparison.Ordinal);
        Assert.Contains("ok      exceptions thrown at OrderService.cs:20", output, StringComparison.Ordinal);
        Assert.Contains("stage = line_capture", output, StringComparison.Ordinal);
        // Method captures print the return value, the exception that left the method (type and message) and the duration.
        Assert.Contains(" at OrderService.cs method PlaceOrder", output, StringComparison.Ordinal);
        Assert.Matches(@"return: decimal = \d", output);
        Assert.Matches(@"exception: InvalidOperationException = InvalidOperationException: order \d+ over the credit limit", output);
        Assert.Matches(@"duration: long = \d+", output);
        Assert.Contains("shop: span 'PlaceOrder'", output, StringComparison.Ordinal);
        // The snapshots are printed as trees, with the sample's payment token redacted.
        Assert.Contains("Shop.OrderService.PlaceOrder", output, StringComparison.Ordinal);
        Assert.Contains("PaymentToken: string = [redacted]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("tok_", output, StringComparison.Ordinal);

        // The sample app it started is gone.
        var pid = int.Parse(ShopPid().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal),
            $"the sample app (pid {pid}) is still running after the demo exited");
    }

    [GeneratedRegex(@"shop: processing orders \(pid (\d+)\)")]
    private static partial Regex ShopPid();
}
