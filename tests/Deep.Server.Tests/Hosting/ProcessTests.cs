using Deep.Protocol.Grpc;

namespace Deep.Server.Tests.Hosting;

public sealed class ProcessTests
{
    [Fact]
    public async Task Everything_acknowledged_survives_kill_9_and_a_restart()
    {
        var dir = TempDir.Create();
        var sent = Enumerable.Range(0, 300).Select(_ => Samples.Snapshot()).ToList();
        string tracepointId;
        using (var server = await ServerProcess.StartAsync(dir))
        {
            using var http = new HttpClient { BaseAddress = server.HttpAddress };
            tracepointId = await http.CreateTracepointAsync(Samples.TracepointJson());
            using var grpc = new RawGrpcClient(server.GrpcAddress);
            var results = await Task.WhenAll(sent.Select(s => grpc.CallAsync(DeepMethods.SendSnapshot, s)));
            Assert.All(results, r => Assert.Equal(GrpcStatusCode.OK, r.Status));
            server.Kill(); // SIGKILL, right after the last acknowledgement
            Assert.NotEqual(0, server.Process.ExitCode);
        }
        using var restarted = await ServerProcess.StartAsync(dir);
        using var http2 = new HttpClient { BaseAddress = restarted.HttpAddress };
        foreach (var s in sent)
        {
            using var response = await http2.GetAsync("/api/snapshots/" + Convert.ToHexString(s.ID.ToByteArray()));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        var (_, list) = await http2.SendJsonAsync(HttpMethod.Get, "/api/tracepoints");
        Assert.Equal(tracepointId, list.GetProperty("response")[0].GetProperty("ID").GetString());
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly_with_exit_code_0()
    {
        var dir = TempDir.Create();
        using var server = await ServerProcess.StartAsync(dir);
        Assert.Contains(dir, server.Output);
        Assert.Contains("127.0.0.1", server.GrpcAddress.Host);
        Assert.Equal(0, server.Terminate());
        Assert.Contains("stopped", server.Output);
    }
}
