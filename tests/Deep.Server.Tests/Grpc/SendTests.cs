using Deep.Protocol.Grpc;
using Deepproto.Proto.Poll.V1;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;

namespace Deep.Server.Tests.Grpc;

public sealed class SendTests
{
    [Fact]
    public async Task An_acknowledged_snapshot_is_stored_byte_for_byte()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot();
        var result = await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot);
        Assert.Equal(GrpcStatusCode.OK, result.Status);
        Assert.False(result.TrailersOnly);
        Assert.Empty(result.Parse(SnapshotResponse.Parser).ToByteArray());
        var stored = s.Server.Snapshots.Get("single-tenant", snapshot.ID.ToByteArray());
        Assert.Equal(snapshot.ToByteArray(), stored);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(17)]
    public async Task A_snapshot_id_that_is_not_16_bytes_is_invalid_argument(int length)
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot();
        snapshot.ID = ByteString.CopyFrom(new byte[length]);
        var result = await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot);
        Assert.Equal(GrpcStatusCode.InvalidArgument, result.Status);
        Assert.True(result.TrailersOnly);
        Assert.Contains("16 bytes", result.Message);
        Assert.Equal(0, s.Server.Snapshots.Count());
    }

    [Fact]
    public async Task A_snapshot_over_the_limit_is_failed_precondition_snapshot_too_large()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot(payloadBytes: 5_000_100);
        Assert.True(snapshot.CalculateSize() > 5_000_000);
        var result = await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot);
        Assert.Equal(GrpcStatusCode.FailedPrecondition, result.Status);
        Assert.StartsWith("SNAPSHOT_TOO_LARGE:", result.Message);
        Assert.Equal(0, s.Server.Snapshots.Count());
    }

    [Theory]
    [InlineData(8_500_000)]
    [InlineData(12_000_000)]
    public async Task A_snapshot_over_the_request_body_limit_is_also_snapshot_too_large_not_an_internal_error(int payloadBytes)
    {
        // Kestrel refuses such a body before the gRPC frame is read; an agent must still see a refusal it will not retry.
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot(payloadBytes: payloadBytes);
        var result = await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot);
        Assert.Equal(GrpcStatusCode.FailedPrecondition, result.Status);
        Assert.StartsWith("SNAPSHOT_TOO_LARGE:", result.Message);
        Assert.Equal(0, s.Server.Snapshots.Count());
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, Samples.Snapshot())).Status);
    }

    [Fact]
    public async Task A_snapshot_just_under_the_limit_is_accepted()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot(payloadBytes: 4_999_000);
        Assert.True(snapshot.CalculateSize() <= 5_000_000);
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot)).Status);
    }

    [Fact]
    public async Task A_body_that_is_not_protobuf_is_refused_with_the_decoder_s_reason()
    {
        // Grpc.AspNetCore decodes before any service code runs: the status is its UNKNOWN, the message the decoder's.
        await using var s = await RunningServer.StartAsync();
        var result = await s.Grpc.CallRawAsync(DeepMethods.SendSnapshot, GrpcFraming.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]));
        Assert.Equal(GrpcStatusCode.Unknown, result.Status);
        Assert.True(result.TrailersOnly);
        Assert.Contains("InvalidProtocolBufferException", result.Message);
        Assert.Equal(0, s.Server.Snapshots.Count());
        // The server is still fine afterwards.
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, Samples.Snapshot())).Status);
    }

    [Fact]
    public async Task A_frame_cut_short_is_internal()
    {
        await using var s = await RunningServer.StartAsync();
        var framed = GrpcFraming.Frame(Samples.Snapshot().ToByteArray());
        var result = await s.Grpc.CallRawAsync(DeepMethods.SendSnapshot, framed[..(framed.Length - 10)]);
        Assert.Equal(GrpcStatusCode.Internal, result.Status);
        Assert.Contains("Incomplete message", result.Message);
        Assert.Equal(0, s.Server.Snapshots.Count());
    }

    [Fact]
    public async Task An_empty_request_body_is_internal()
    {
        await using var s = await RunningServer.StartAsync();
        var result = await s.Grpc.CallRawAsync(DeepMethods.Poll, []);
        Assert.Equal(GrpcStatusCode.Internal, result.Status);
        Assert.Contains("Incomplete message", result.Message);
    }

    [Fact]
    public async Task A_compressed_frame_without_its_encoding_is_internal()
    {
        await using var s = await RunningServer.StartAsync();
        var framed = GrpcFraming.Frame(Samples.Poll().ToByteArray());
        framed[0] = 1;
        var result = await s.Grpc.CallRawAsync(DeepMethods.Poll, framed);
        Assert.Equal(GrpcStatusCode.Internal, result.Status);
        Assert.Contains("grpc-encoding", result.Message);
    }

    [Fact]
    public async Task A_gzip_compressed_snapshot_is_accepted_and_stored_as_its_message()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot();
        using var packed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(snapshot.ToByteArray());
        var framed = GrpcFraming.Frame(packed.ToArray());
        framed[0] = 1;
        var result = await s.Grpc.CallRawAsync(DeepMethods.SendSnapshot, framed, ("grpc-encoding", "gzip"));
        Assert.Equal(GrpcStatusCode.OK, result.Status);
        Assert.Equal(snapshot.ToByteArray(), s.Server.Snapshots.Get("single-tenant", snapshot.ID.ToByteArray()));
    }

    [Fact]
    public async Task A_snapshot_with_an_unknown_encoding_is_unimplemented()
    {
        await using var s = await RunningServer.StartAsync();
        var framed = GrpcFraming.Frame(Samples.Snapshot().ToByteArray());
        framed[0] = 1;
        var result = await s.Grpc.CallRawAsync(DeepMethods.SendSnapshot, framed, ("grpc-encoding", "zstd-made-up"));
        Assert.Equal(GrpcStatusCode.Unimplemented, result.Status);
        Assert.Contains("zstd-made-up", result.Message);
        Assert.Equal(0, s.Server.Snapshots.Count());
    }

    [Fact]
    public async Task An_unknown_method_is_unimplemented()
    {
        await using var s = await RunningServer.StartAsync();
        var result = await s.Grpc.CallAsync("/deepproto.proto.poll.v1.PollConfig/nope", Samples.Poll());
        Assert.Equal(GrpcStatusCode.Unimplemented, result.Status);
        Assert.True(result.TrailersOnly);
        Assert.Contains("Method is unimplemented", result.Message);
        var service = await s.Grpc.CallAsync("/deepproto.proto.nothing.v1.Nothing/poll", Samples.Poll());
        Assert.Equal(GrpcStatusCode.Unimplemented, service.Status);
        Assert.Contains("Service is unimplemented", service.Message);
    }

    [Fact]
    public async Task Concurrent_sends_are_all_acknowledged_and_all_stored()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshots = Enumerable.Range(0, 400).Select(_ => Samples.Snapshot()).ToList();
        var results = await Task.WhenAll(snapshots.Select(x => s.Grpc.CallAsync(DeepMethods.SendSnapshot, x)));
        Assert.All(results, r => Assert.Equal(GrpcStatusCode.OK, r.Status));
        Assert.Equal(400, s.Server.Snapshots.Count());
    }

    [Fact]
    public async Task Sending_the_same_snapshot_twice_stores_it_once()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot();
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot)).Status);
        Assert.Equal(GrpcStatusCode.OK, (await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot)).Status);
        Assert.Equal(1, s.Server.Snapshots.Count());
    }
}
