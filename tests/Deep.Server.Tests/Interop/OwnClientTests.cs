using Deep.Protocol;
using Deep.Protocol.Grpc;
using Wire = Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Tests.Interop;

/// <summary>Our own agent-side stack (Deep.Protocol's codec and gRPC client) against the server.</summary>
public sealed class OwnClientTests
{
    [Fact]
    public async Task The_protocol_gRPC_client_polls_long_polls_and_sends_against_the_server()
    {
        await using var s = await RunningServer.StartAsync(o => o.ApiKey = "k");
        using var client = new GrpcClient(s.Server.GrpcAddress, new GrpcClientOptions
        {
            DefaultHeaders = [new("authorization", "Bearer k")],
        });
        var request = new PollRequest { TsNanos = 1, Resource = new Resource() };
        request.Resource.Attributes.Add(new KeyValue("service.name", "shop"));
        var first = await client.UnaryCallAsync<PollRequest, PollResponse>(DeepMethods.Poll, request);
        Assert.Equal("2166136261", first.CurrentHash);

        request.CurrentHash = first.CurrentHash;
        var waiting = client.UnaryCallAsync<PollRequest, PollResponse>(DeepMethods.Poll, request,
            new CallOptions { Timeout = TimeSpan.FromSeconds(30), Headers = [new("deep-long-poll", "20")] });
        var id = await s.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/tracepoints")
        {
            Content = new StringContent(Samples.TracepointJson(), System.Text.Encoding.UTF8, "application/json"),
            Headers = { { "authorization", "Bearer k" } },
        }).ContinueWith(t => t.Result.IsSuccessStatusCode);
        Assert.True(id);
        var update = await waiting;
        Assert.Equal(ResponseType.Update, update.ResponseType);
        Assert.Equal("OrderService.cs", Assert.Single(update.Response).Path);

        var snapshot = new Snapshot { ID = Guid.NewGuid().ToByteArray(), TsNanos = 5, Tracepoint = update.Response[0] };
        snapshot.VarLookup["1"] = new Variable { Type = "int", Value = "3" };
        await client.UnaryCallAsync<Snapshot, SnapshotResponse>(DeepMethods.SendSnapshot, snapshot);
        var stored = Wire.Snapshot.Parser.ParseFrom(s.Server.Snapshots.Get("single-tenant", snapshot.ID));
        Assert.Equal(update.Response[0].ID, stored.Tracepoint.ID);
        Assert.Equal("3", stored.VarLookup["1"].Value);

        var bad = await Assert.ThrowsAsync<RpcException>(() =>
            client.UnaryCallAsync<Snapshot, SnapshotResponse>(DeepMethods.SendSnapshot, new Snapshot { ID = new byte[3] }));
        Assert.Equal(GrpcStatusCode.InvalidArgument, bad.StatusCode);
    }
}
