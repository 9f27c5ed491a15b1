using Deep.Cli.Common;

namespace Deep.Cli.Tests.Server;

public sealed class ServerCommandTests
{
    [Fact]
    public async Task Server_prints_where_it_listens_and_its_data_and_stops_on_cancellation()
    {
        var dir = Path.Combine(Path.GetTempPath(), "deep-cli-tests", Guid.NewGuid().ToString("N"));
        using var stop = new CancellationTokenSource();
        var console = new BufferedConsole();
        var run = Program.RunAsync(["server", "--data", dir, "--grpc-port", "0", "--http-port", "0", "--retention", "7d", "--max-snapshots", "100"], console, stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!console.OutText.Contains("ready", StringComparison.Ordinal) && !run.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Contains("agents (gRPC) at http://127.0.0.1:", console.OutText);
        Assert.Contains(Path.Combine(dir, "deep.db"), console.OutText);
        Assert.Contains("7.00:00:00", console.OutText);
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("stopped", console.OutText);
    }

    [Theory]
    [InlineData("--retention", "soon", "not a duration")]
    [InlineData("--retention", "7y", "unknown unit")]
    [InlineData("--max-snapshots", "0", "at least 1")]
    [InlineData("--listen", "somewhere", "not an IP address")]
    public async Task Bad_server_options_exit_2_with_what_to_write(string option, string value, string expected)
    {
        var console = new BufferedConsole();
        var dir = Path.Combine(Path.GetTempPath(), "deep-cli-tests", Guid.NewGuid().ToString("N"));
        var code = await Program.RunAsync(["server", "--data", dir, "--grpc-port", "0", "--http-port", "0", option, value], console, CancellationToken.None);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, console.ErrorText);
    }

    [Fact]
    public async Task Server_help_lists_its_own_options_once_and_client_commands_list_the_client_options()
    {
        var server = new BufferedConsole();
        Assert.Equal(0, await Program.RunAsync(["server", "--help"], server, CancellationToken.None));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(server.OutText, @"--api-key\b"));
        Assert.DoesNotContain("--server", server.OutText);
        Assert.DoesNotContain("--tenant", server.OutText);

        var list = new BufferedConsole();
        Assert.Equal(0, await Program.RunAsync(["tracepoint", "list", "--help"], list, CancellationToken.None));
        foreach (var option in new[] { "--server", "--api-key", "--tenant", "--json" })
            Assert.Contains(option, list.OutText);
    }

    [Fact]
    public async Task A_taken_port_exits_7()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var console = new BufferedConsole();
        var dir = Path.Combine(Path.GetTempPath(), "deep-cli-tests", Guid.NewGuid().ToString("N"));
        var code = await Program.RunAsync(["server", "--data", dir, "--grpc-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", "0"], console, CancellationToken.None);
        Assert.Equal(ExitCodes.ServerFailed, code);
        Assert.Contains("--grpc-port", console.ErrorText);
    }
}
