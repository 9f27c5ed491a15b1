using System.Text.Json;
using Deep.Cli.Common;

namespace Deep.Cli.Tests.Tracepoints;

public sealed class TracepointCommandTests
{
    [Fact]
    public async Task Add_then_list_then_rm_round_trips_through_the_server()
    {
        await using var h = await CliHarness.StartAsync();
        var (code, added, _) = await h.RunAsync("tracepoint", "add", "OrderService.cs:42", "--condition", "order.Total > 100",
            "--watch", "order.Id", "--watch", "order.Total", "--log", "total {order.Total}", "--fire-count", "5",
            "--fire-period", "250", "--stage", "line_end", "--target", "service.name=shop", "--json");
        Assert.Equal(0, code);
        var tp = JsonDocument.Parse(added).RootElement.GetProperty("tracepoint");
        var id = tp.GetProperty("ID").GetString()!;
        Assert.Equal("OrderService.cs", tp.GetProperty("path").GetString());
        Assert.Equal(42, tp.GetProperty("lineNumber").GetInt32());
        var args = tp.GetProperty("args");
        Assert.Equal("order.Total > 100", args.GetProperty("condition").GetString());
        Assert.Equal("total {order.Total}", args.GetProperty("log_msg").GetString());
        Assert.Equal("5", args.GetProperty("fire_count").GetString());
        Assert.Equal("250", args.GetProperty("fire_period").GetString());
        Assert.Equal("line_end", args.GetProperty("stage").GetString());
        Assert.Equal(["order.Id", "order.Total"], tp.GetProperty("watches").EnumerateArray().Select(w => w.GetString()));
        Assert.Equal("shop", tp.GetProperty("targeting")[0].GetProperty("value").GetProperty("stringValue").GetString());

        var (listCode, list, _) = await h.RunAsync("tracepoint", "list");
        Assert.Equal(0, listCode);
        Assert.Contains(id, list);
        Assert.Contains("OrderService.cs:42", list);

        var (rmCode, removed, _) = await h.RunAsync("tracepoint", "rm", id);
        Assert.Equal(0, rmCode);
        Assert.Contains(id, removed);
        var (_, empty, _) = await h.RunAsync("tracepoint", "list");
        Assert.Contains("no tracepoints", empty);
    }

    [Fact]
    public async Task A_method_tracepoint_takes_just_the_file()
    {
        await using var h = await CliHarness.StartAsync();
        var (code, output, error) = await h.RunAsync("tracepoint", "add", "OrderService.cs", "--method", "Place", "--span", "method", "--snapshot", "no_collect");
        Assert.True(code == 0, error);
        Assert.Contains("method Place", output);
    }

    [Theory]
    [InlineData("OrderService.cs", "is not <file>:<line>")]
    [InlineData("OrderService.cs:0", "from 1")]
    public async Task A_bad_location_is_a_usage_error_that_shows_the_right_form(string location, string expected)
    {
        await using var h = await CliHarness.StartAsync();
        var (code, _, error) = await h.RunAsync("tracepoint", "add", location);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error);
    }

    [Fact]
    public async Task A_refusal_about_the_whole_tracepoint_is_named_so()
    {
        await using var h = await CliHarness.StartAsync();
        // Valid by the spec (targeting is the server's to read), but larger than the server takes: only it can refuse this.
        var (code, _, error) = await h.RunAsync("tracepoint", "add", "A.cs:3", "--target", "service.name=" + new string('x', 70_000));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.StartsWith("deep: the server rejected the request:\ntracepoint: the body is", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_an_unknown_tracepoint_exits_4()
    {
        await using var h = await CliHarness.StartAsync();
        var (code, _, error) = await h.RunAsync("tracepoint", "rm", "no-such-id");
        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Contains("deep tracepoint list", error);
    }

    [Fact]
    public async Task An_unreachable_server_exits_3_and_says_how_to_start_one()
    {
        var console = new BufferedConsole();
        var code = await Program.RunAsync(["tracepoint", "list", "--server", "http://127.0.0.1:1"], console, CancellationToken.None);
        Assert.Equal(ExitCodes.Unreachable, code);
        Assert.Contains("deep server", console.ErrorText);
    }

    [Fact]
    public async Task A_server_with_an_api_key_needs_it_exit_6_without_and_0_with()
    {
        await using var h = await CliHarness.StartAsync(apiKey: "k3y");
        var (code, _, error) = await h.RunAsync("tracepoint", "list");
        Assert.Equal(ExitCodes.Unauthorized, code);
        Assert.Contains("--api-key", error);
        var (ok, _, _) = await h.RunAsync("tracepoint", "list", "--api-key", "k3y");
        Assert.Equal(0, ok);
    }

    [Fact]
    public async Task An_unknown_option_is_exit_2()
    {
        await using var h = await CliHarness.StartAsync();
        var (code, _, error) = await h.RunAsync("tracepoint", "add", "A.cs:1", "--colour", "red");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--colour", error);
    }
}
