using System.Globalization;
using Deep.Protocol.Grpc;
using Deep.Protocol.Tests.Codec;
using Deep.Protocol.Tests.Grpc;
using GT = Deepproto.Proto.Tracepoint.V1;

namespace Deep.Protocol.Tests.Interop;

/// <summary>
/// Interop with an independent gRPC implementation: Python grpcio from Debian with stubs generated from our proto/.
/// Our client calls a Python server; a Python client calls our framing on Kestrel.
/// </summary>
public sealed class PythonInteropTests(PythonStubs stubs) : IClassFixture<PythonStubs>
{
    private static readonly TimeSpan s_startup = TimeSpan.FromSeconds(60);

    private GrpcClient ConnectToPythonServer(PythonProcess server)
    {
        var port = int.Parse(server.WaitForLine("PORT ", s_startup), CultureInfo.InvariantCulture);
        return new GrpcClient(new Uri($"http://127.0.0.1:{port}"));
    }

    [Fact]
    public async Task Our_client_polls_a_Python_server()
    {
        using var server = stubs.Start("deep_server.py");
        using var client = ConnectToPythonServer(server);
        var resource = new Resource();
        resource.Attributes.Add(new KeyValue("service.name", "checkout"));
        resource.Attributes.Add(new KeyValue("pid", AnyValue.Of(-42L)));

        var response = await new PollConfigClient(client).PollAsync(
            new PollRequest { TsNanos = ulong.MaxValue - 1, CurrentHash = "2166136261", Resource = resource },
            new CallOptions { Timeout = TimeSpan.FromSeconds(30), Headers = [new("authorization", "Bearer t0k")] });

        Assert.Equal(ulong.MaxValue, response.TsNanos);
        Assert.Equal("py-2166136261", response.CurrentHash);
        Assert.Equal(ResponseType.Update, response.ResponseType);
        var tracepoint = Assert.Single(response.Response);
        Assert.Equal("py-tp", tracepoint.ID);
        Assert.Equal(7u, tracepoint.LineNumber);
        Assert.Equal("Bearer t0k", tracepoint.Args["seen-authorization"]);
        Assert.Equal("2166136261", tracepoint.Args["seen-hash"]);
        // grpc-timeout reached the Python server as its deadline.
        Assert.InRange(double.Parse(tracepoint.Args["seen-deadline"], CultureInfo.InvariantCulture), 1.0, 30.0);
        Assert.Equal(["order.Total * 2"], tracepoint.Watches);
        Assert.Equal(["service.name", "pid"], tracepoint.Targeting.Select(t => t.Key));
        Assert.Equal(-42L, tracepoint.Targeting[1].Value!.IntValue);
        var metric = Assert.Single(tracepoint.Metrics);
        Assert.Equal(MetricType.Gauge, metric.Type);
        Assert.Equal("", metric.Expression); // proto3 optional set to its default: present, not null
        Assert.Null(metric.Unit);
        Assert.Equal("prod", metric.LabelExpressions.Single().Static!.StringValue);
    }

    [Fact]
    public async Task Our_client_sends_a_snapshot_a_Python_server_reads_exactly()
    {
        using var server = stubs.Start("deep_server.py");
        using var client = ConnectToPythonServer(server);
        var random = new RandomGoogleMessages(seed: 4242);
        var sent = random.Snapshot();
        sent.ID = Google.Protobuf.ByteString.CopyFrom(new byte[16]);

        await new SnapshotServiceClient(client).SendAsync(GoogleMirror.ToOurs(sent), new CallOptions { Timeout = TimeSpan.FromSeconds(30) });

        var received = GT.Snapshot.Parser.ParseFrom(Convert.FromHexString(server.WaitForLine("SNAPSHOT ", s_startup)));
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task An_error_status_from_a_Python_server_becomes_RpcException()
    {
        using var server = stubs.Start("deep_server.py");
        using var client = ConnectToPythonServer(server);

        var failed = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(new PollRequest(), new CallOptions { Headers = [new("x-fail", "16")] }));
        Assert.Equal(GrpcStatusCode.Unauthenticated, failed.StatusCode);
        Assert.Equal("python says no: ünïcödé 100%", failed.Detail);

        var invalid = await Assert.ThrowsAsync<RpcException>(() => new SnapshotServiceClient(client).SendAsync(new Snapshot { ID = [1, 2, 3] }));
        Assert.Equal(GrpcStatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("16 bytes", invalid.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deadline_that_expires_against_a_Python_server_gives_DEADLINE_EXCEEDED()
    {
        using var server = stubs.Start("deep_server.py");
        using var client = ConnectToPythonServer(server);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(new PollRequest(),
            new CallOptions { Timeout = TimeSpan.FromMilliseconds(500), Headers = [new("x-sleep", "20")] }));

        Assert.Equal(GrpcStatusCode.DeadlineExceeded, ex.StatusCode);
        // The connection is still good afterwards.
        var response = await new PollConfigClient(client).PollAsync(new PollRequest { CurrentHash = "again" }, new CallOptions { Timeout = TimeSpan.FromSeconds(30) });
        Assert.Equal("py-again", response.CurrentHash);
    }

    [Fact]
    public async Task A_Python_client_calls_our_framing_on_Kestrel()
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);

        using var client = stubs.Start("deep_client.py", server.Address.Port.ToString(CultureInfo.InvariantCulture));
        var (exitCode, lines) = client.WaitForExit(TimeSpan.FromSeconds(90));

        Assert.True(exitCode == 0, $"python client failed ({exitCode}):\n{string.Join('\n', lines)}\n{client.StandardError}");
        Assert.Equal(["poll", "poll-tracepoint", "send", "send-invalid", "poll-error"],
            lines.Where(l => l.StartsWith("OK ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]));
        var poll = Assert.Single(endpoint.Polls);
        Assert.Equal("py", poll.Resource!.Attributes.Single().Value!.StringValue);
        var sentHex = lines.Single(l => l.StartsWith("SENT ", StringComparison.Ordinal))["SENT ".Length..];
        var sent = GT.Snapshot.Parser.ParseFrom(Convert.FromHexString(sentHex));
        var received = Assert.Single(endpoint.Snapshots);
        Assert.Equal(sent, GoogleMirror.ToGoogle(received));
        Assert.Equal("héllo 😀", received.LogMsg);
        Assert.Equal(ulong.MaxValue, received.TsNanos);
    }
}
