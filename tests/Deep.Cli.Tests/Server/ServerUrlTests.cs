using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Deep.Cli.Common;
using Deep.Cli.Tracepoints;
using Deepproto.Proto.Tracepoint.V1;
using P = Deep.Protocol;

namespace Deep.Cli.Tests.Server;

/// <summary>
/// A <c>--server</c> that is not a server address is a usage error (exit 2) for every command that takes one, never a
/// silent fall-back to localhost; and <c>deep server</c> says where it really listens, and warns when that is open.
/// </summary>
public sealed class ServerUrlTests
{
    public static TheoryData<string> BadApiUrls() =>
    [
        "",
        "   ",
        "http://",
        "http://:3300",
        "ftp://127.0.0.1:3300",
        "localhost:notaport",
        "localhost:99999",
        "http://exa mple:3300",
        "http://user:pw@127.0.0.1:3300",
        "http://127.0.0.1:3300/#frag",
        "://3300",
    ];

    [Theory]
    [MemberData(nameof(BadApiUrls))]
    public async Task Client_commands_refuse_a_server_that_is_not_a_url(string server)
    {
        foreach (var args in new[] { new[] { "tracepoint", "list" }, ["tracepoint", "add", "A.cs:1"], ["snapshot", "list"], ["tracepoint", "rm", "x"] })
        {
            var console = new BufferedConsole();
            var code = await Program.RunAsync([.. args, "--server", server], console, CancellationToken.None);
            Assert.True(code == ExitCodes.Usage, $"{string.Join(' ', args)} --server '{server}': exit {code}: {console.ErrorText}");
            Assert.Contains("--server", console.ErrorText, StringComparison.Ordinal);
            Assert.DoesNotContain("cannot reach", console.ErrorText, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string> BadAgentUrls() =>
    [
        "",
        "ftp://server:1",
        "server:notaport",
        "server:0",
        "server:70000",
        "http://",
        "not a host:1",
        "https//deep.example:43315",
        "http://deep.example:43315/some/path",
        "http://user@deep.example:43315",
    ];

    [Theory]
    [MemberData(nameof(BadAgentUrls))]
    public async Task Run_and_attach_refuse_a_server_the_agent_could_not_use_before_starting_anything(string server)
    {
        var run = new BufferedConsole();
        Assert.Equal(ExitCodes.Usage, await Program.RunAsync(["run", "--server", server, "--", "dotnet", "does-not-exist.dll"], run, CancellationToken.None));
        Assert.Contains("--server", run.ErrorText, StringComparison.Ordinal);

        var attach = new BufferedConsole();
        Assert.Equal(ExitCodes.Usage, await Program.RunAsync(["attach", "999999", "--server", server], attach, CancellationToken.None));
        Assert.Contains("--server", attach.ErrorText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:43315")]
    [InlineData("https://deep.example:443")]
    [InlineData("localhost:43315")]
    [InlineData("deep.example")]
    [InlineData("10.1.2.3:5000")]
    [InlineData("[::1]:43315")]
    public void Agent_addresses_the_agent_accepts_pass(string server) => Assert.Null(ServerUrls.CheckAgentUrl(server));

    [Fact]
    public async Task A_host_and_port_without_a_scheme_reaches_the_server()
    {
        await using var h = await CliHarness.StartAsync();
        var console = new BufferedConsole();
        var code = await Program.RunAsync(["tracepoint", "list", "--server", $"127.0.0.1:{h.Server.HttpAddress.Port}"], console, CancellationToken.None);
        Assert.True(code == 0, console.ErrorText);
    }

    [Fact]
    public async Task A_tracepoint_past_the_servers_limit_exits_5_with_the_servers_reason()
    {
        await using var h = await CliHarness.StartAsync();
        for (var i = 0; i < Deep.Server.Polling.TracepointRegistry.MaxTracepointsPerTenant; i++)
            h.Server.Registry.Add(Deep.Server.Security.RequestGate.SingleTenant, new TracePointConfig { Path = "A.cs", LineNumber = 1 });
        var (code, _, error) = await h.RunAsync("tracepoint", "add", "A.cs:2");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains("delete some first", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_status_follows_the_servers_pages()
    {
        await using var h = await CliHarness.StartAsync();
        using var client = new P.Grpc.GrpcClient(h.Server.GrpcAddress);
        for (var a = 0; a < 3; a++)
        {
            var report = new P.ProbeStatusReport { AgentId = "agent-" + a, TsNanos = 1 };
            for (var i = 0; i < 900; i++) report.Statuses.Add(new P.ProbeStatus { TracepointId = $"tp-{i}", State = P.ProbeStatusState.Pending });
            await client.UnaryCallAsync<P.ProbeStatusReport, P.ProbeStatusAck>(P.Grpc.DeepDotnetMethods.ReportStatus, report);
        }
        using var api = new DeepApiClient(new ServerConnection(h.Server.HttpAddress, null, null));
        var all = (await TracepointCommands.ReadStatusAsync(api, null, CancellationToken.None)).ToList();
        Assert.Equal(2700, all.Count);
        Assert.Equal(2700, all.Select(s => (s.Agent, s.TracepointId)).Distinct().Count());
    }

    private static async Task<(string Out, string Error)> StartAndStopServerAsync(params string[] extra)
    {
        var dir = Path.Combine(Path.GetTempPath(), "deep-cli-tests", Guid.NewGuid().ToString("N"));
        using var stop = new CancellationTokenSource();
        var console = new BufferedConsole();
        var run = Program.RunAsync(["server", "--data", dir, "--grpc-port", "0", "--http-port", "0", .. extra], console, stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!console.OutText.Contains("ready", StringComparison.Ordinal) && !run.IsCompleted && DateTime.UtcNow < deadline) await Task.Delay(20);
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        return (console.OutText, console.ErrorText);
    }

    [Fact]
    public async Task Listening_on_all_interfaces_without_a_key_warns_and_prints_the_real_urls()
    {
        var (output, error) = await StartAndStopServerAsync("--listen", "0.0.0.0");
        Assert.Contains("WARNING", error, StringComparison.Ordinal);
        Assert.Contains("without an API key", error, StringComparison.Ordinal);
        Assert.Contains("reachable from other machines", output, StringComparison.Ordinal);
        var httpLine = output.Split('\n').Single(l => l.Contains("HTTP API at", StringComparison.Ordinal));
        Assert.DoesNotContain("0.0.0.0", httpLine, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", httpLine, StringComparison.Ordinal);
        // Each IPv4 address of this machine's interfaces that are up is listed.
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up))
        {
            foreach (var address in nic.GetIPProperties().UnicastAddresses.Select(u => u.Address)
                .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)))
                Assert.Contains($"http://{address}:", httpLine, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Listening_on_all_interfaces_with_a_key_does_not_warn_and_loopback_says_nothing()
    {
        var (keyed, keyedError) = await StartAndStopServerAsync("--listen", "0.0.0.0", "--api-key", "s3cret");
        Assert.DoesNotContain("WARNING", keyedError, StringComparison.Ordinal);
        Assert.Contains("reachable from other machines", keyed, StringComparison.Ordinal);

        var (local, localError) = await StartAndStopServerAsync();
        Assert.DoesNotContain("WARNING", localError, StringComparison.Ordinal);
        Assert.DoesNotContain("reachable from other machines", local, StringComparison.Ordinal);
    }
}
