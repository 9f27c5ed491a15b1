using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Deep.Cli.Common;

namespace Deep.Cli.Tests.Tracepoints;

/// <summary>
/// <c>deep tracepoint add</c> checks the tracepoint by the spec the server and the agent read it by: a tracepoint with
/// problems is never sent, and each problem is printed as the server would print it.
/// </summary>
public sealed class TracepointSpecCheckTests
{
    public static TheoryData<string[], string[]> BadShapes => new()
    {
        // the options after `add A.cs:3`, the field of each problem in order
        { ["--condition", "(x > 1"], ["args.condition"] },
        { ["--fire-count", "-5"], ["args.fire_count"] },
        { ["--fire-period", "-1"], ["args.fire_period"] },
        { [.. Enumerable.Range(0, 101).SelectMany(i => new[] { "--watch", $"w{i}" })], ["watches"] },
        { ["--log", "total {order.Total"], ["args.log_msg"] },
        { ["--stage", "sometime"], ["args.stage"] },
        { ["--stage", "method_end"], ["args.stage"] },
        { ["--condition", "a ==", "--watch", "ok", "--watch", "b[", "--stage", "sometime", "--log", "{x"], ["args.stage", "args.condition", "watches[1]", "args.log_msg"] },
    };

    /// <summary>Runs <c>deep tracepoint add A.cs:3 ...</c> against a port that only counts connections (a server would answer).</summary>
    private static async Task<(int Code, string Out, string[] ErrorLines, bool Connected)> AddWithoutServerAsync(string[] options)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var console = new BufferedConsole();
        var code = await Program.RunAsync(["tracepoint", "add", "A.cs:3", .. options, "--server", $"http://127.0.0.1:{port}"], console, CancellationToken.None);
        var lines = console.ErrorText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // A connection the CLI opened waits in the listener's queue (nothing accepts it).
        return (code, console.OutText, lines, listener.Pending());
    }

    [Theory]
    [MemberData(nameof(BadShapes))]
    public async Task A_tracepoint_the_spec_refuses_is_not_sent_and_each_problem_is_a_field_colon_message_line(string[] options, string[] fields)
    {
        var (code, output, lines, connected) = await AddWithoutServerAsync(options);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.False(connected, "the CLI connected to the server");
        Assert.Equal("", output);
        Assert.Equal("deep: the tracepoint is not valid (nothing was sent):", lines[0]);
        Assert.Equal(fields, lines[1..].Select(l => l[..l.IndexOf(": ", StringComparison.Ordinal)]));
    }

    [Fact]
    public async Task The_lines_are_the_servers_own_field_errors_word_for_word()
    {
        string[] options = ["--condition", "a ==", "--watch", "ok", "--watch", "b[", "--stage", "sometime", "--log", "{x", "--fire-count", "-2"];
        var (code, _, lines, _) = await AddWithoutServerAsync(options);
        Assert.Equal(ExitCodes.InvalidInput, code);

        await using var h = await CliHarness.StartAsync();
        using var http = new HttpClient { BaseAddress = h.Server.HttpAddress };
        using var refused = await http.PostAsJsonAsync("/api/tracepoints", new
        {
            tracepoint = new
            {
                path = "A.cs",
                lineNumber = 3,
                args = new Dictionary<string, string> { ["condition"] = "a ==", ["stage"] = "sometime", ["log_msg"] = "{x", ["fire_count"] = "-2" },
                watches = new[] { "ok", "b[" },
            },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var server = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateArray()
            .Select(e => $"{e.GetProperty("field").GetString()}: {e.GetProperty("message").GetString()}");
        Assert.Equal(server, lines[1..]);
    }

    [Fact]
    public async Task A_valid_tracepoint_is_still_sent()
    {
        await using var h = await CliHarness.StartAsync();
        var (code, output, error) = await h.RunAsync("tracepoint", "add", "A.cs:3", "--fire-count", "-1", "--fire-period", "0",
            "--watch", "order.Total", "--log", "total {order.Total}", "--stage", "line_end");
        Assert.True(code == 0, error);
        Assert.Contains("created tracepoint", output);
    }
}
