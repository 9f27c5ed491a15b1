using System.Text.Json;
using Deep.Cli.Common;
using Deep.Cli.Snapshots;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Cli.Tests.Snapshots;

public sealed class SnapshotCommandTests
{
    [Fact]
    public async Task List_shows_snapshots_newest_first_and_filters_by_tracepoint()
    {
        await using var h = await CliHarness.StartAsync();
        var older = await h.SendSnapshotAsync("tp-1", 1_000_000_000);
        var newer = await h.SendSnapshotAsync("tp-1", 2_000_000_000);
        var other = await h.SendSnapshotAsync("tp-2", 3_000_000_000);
        var (code, output, _) = await h.RunAsync("snapshot", "list", "--tracepoint", "tp-1");
        Assert.Equal(0, code);
        var newerHex = Convert.ToHexStringLower(newer.ID.ToByteArray());
        var olderHex = Convert.ToHexStringLower(older.ID.ToByteArray());
        Assert.True(output.IndexOf(newerHex, StringComparison.Ordinal) < output.IndexOf(olderHex, StringComparison.Ordinal));
        Assert.DoesNotContain(Convert.ToHexStringLower(other.ID.ToByteArray()), output);

        var (_, json, _) = await h.RunAsync("snapshot", "list", "--json", "--limit", "1");
        Assert.Equal(other.ID.ToBase64(), JsonDocument.Parse(json).RootElement.GetProperty("snapshots")[0].GetProperty("ID").GetString());
    }

    [Fact]
    public async Task Show_prints_frames_variables_by_depth_watches_and_attributes()
    {
        await using var h = await CliHarness.StartAsync();
        var s = await h.SendSnapshotAsync("tp-1", 1_700_000_000_000_000_000);
        var hex = Convert.ToHexStringLower(s.ID.ToByteArray());
        var (code, output, error) = await h.RunAsync("snapshot", "show", hex);
        Assert.True(code == 0, error);
        Assert.Contains("#0 Shop.OrderService.Place (/src/OrderService.cs:42)", output);
        Assert.Contains("#1 Shop.Program.Main (/src/Program.cs:7)", output);
        Assert.Contains("order: Shop.Order = Shop.Order", output);
        Assert.Contains("Customer: Shop.Customer", output);
        Assert.Contains("Name: string = Ada", output);
        Assert.Contains("Self: Shop.Order = Shop.Order (cycle)", output);
        Assert.Contains("order.Customer.Name: string = Ada", output);
        Assert.Contains("order.Missing  !! no member Missing", output);
        Assert.Contains("thread = main", output);
        Assert.Contains("2023-11-14 22:13:20.000Z", output);

        var (_, shallow, _) = await h.RunAsync("snapshot", "show", hex, "--depth", "1");
        Assert.Contains("order: Shop.Order = Shop.Order [+2]", shallow);
        Assert.DoesNotContain("Ada\n    ", shallow);
    }

    [Fact]
    public void The_header_names_the_line_of_a_line_tracepoint_and_the_method_of_a_method_tracepoint()
    {
        var line = new Snapshot { Tracepoint = new TracePointConfig { ID = "tp-1", Path = "OrderService.cs", LineNumber = 16 } };
        Assert.Contains("tracepoint  tp-1 at OrderService.cs:16\n", SnapshotTree.Render(line, 2));

        var method = new Snapshot { Tracepoint = new TracePointConfig { ID = "tp-2", Path = "OrderService.cs" } };
        method.Tracepoint.Args["method_name"] = "PlaceOrder";
        var header = SnapshotTree.Render(method, 2);
        Assert.Contains("tracepoint  tp-2 at OrderService.cs method PlaceOrder\n", header);
        Assert.DoesNotContain("OrderService.cs:0", header);
    }

    [Fact]
    public async Task Show_of_an_unknown_id_exits_4_and_a_malformed_id_exits_2()
    {
        await using var h = await CliHarness.StartAsync();
        var (missing, _, _) = await h.RunAsync("snapshot", "show", new string('a', 32));
        Assert.Equal(ExitCodes.NotFound, missing);
        var (bad, _, error) = await h.RunAsync("snapshot", "show", "xyz");
        Assert.Equal(ExitCodes.Usage, bad);
        Assert.Contains("32 hex digits", error);
    }

    [Fact]
    public async Task Tail_prints_only_snapshots_that_arrive_after_it_starts()
    {
        await using var h = await CliHarness.StartAsync();
        var before = await h.SendSnapshotAsync("tp-1", 1);
        var console = new BufferedConsole();
        var tail = Program.RunAsync(["snapshot", "tail", "--count", "2", "--interval", "100", "--server", h.ServerUrl], console, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!console.OutText.Contains("waiting", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(20);
        var first = await h.SendSnapshotAsync("tp-1", 2);
        var second = await h.SendSnapshotAsync("tp-2", 3);
        Assert.Equal(0, await tail.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(Convert.ToHexStringLower(first.ID.ToByteArray()), console.OutText);
        Assert.Contains(Convert.ToHexStringLower(second.ID.ToByteArray()), console.OutText);
        Assert.DoesNotContain(Convert.ToHexStringLower(before.ID.ToByteArray()), console.OutText);
    }

    [Fact]
    public async Task Tail_stops_cleanly_on_ctrl_c()
    {
        await using var h = await CliHarness.StartAsync();
        using var stop = new CancellationTokenSource();
        var console = new BufferedConsole();
        var tail = Program.RunAsync(["snapshot", "tail", "--server", h.ServerUrl], console, stop.Token);
        await Task.Delay(300);
        await stop.CancelAsync();
        Assert.Equal(0, await tail.WaitAsync(TimeSpan.FromSeconds(15)));
    }
}
