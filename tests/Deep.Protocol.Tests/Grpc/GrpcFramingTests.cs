using Deep.Protocol.Grpc;

namespace Deep.Protocol.Tests.Grpc;

public sealed class GrpcFramingTests
{
    [Fact]
    public void A_frame_is_a_zero_flag_a_big_endian_length_and_the_message()
    {
        Assert.Equal(new byte[] { 0, 0, 0, 1, 2, 0xAA, 0xBB }.Concat(new byte[256]).ToArray(), GrpcFraming.Frame([0xAA, 0xBB, .. new byte[256]]));
    }

    [Fact]
    public async Task Reading_returns_each_message_then_null_at_a_clean_end()
    {
        var stream = new MemoryStream([.. GrpcFraming.Frame([1, 2, 3]), .. GrpcFraming.Frame([])]);
        Assert.Equal(new byte[] { 1, 2, 3 }, await GrpcFraming.ReadMessageAsync(stream, 100));
        Assert.Empty((await GrpcFraming.ReadMessageAsync(stream, 100))!);
        Assert.Null(await GrpcFraming.ReadMessageAsync(stream, 100));
    }

    [Fact]
    public async Task A_compressed_frame_is_UNIMPLEMENTED()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await GrpcFraming.ReadMessageAsync(new MemoryStream([1, 0, 0, 0, 1, 9]), 100));
        Assert.Equal(GrpcStatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task A_frame_over_the_limit_is_RESOURCE_EXHAUSTED()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await GrpcFraming.ReadMessageAsync(new MemoryStream(GrpcFraming.Frame(new byte[101])), 100));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 5, 1, 2 })]
    public async Task A_frame_cut_short_is_INTERNAL(byte[] bytes)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await GrpcFraming.ReadMessageAsync(new MemoryStream(bytes), 100));
        Assert.Equal(GrpcStatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task A_frame_announcing_16_MiB_followed_by_a_few_bytes_does_not_allocate_16_MiB()
    {
        byte[] bytes = [0, 0x01, 0x00, 0x00, 0x00, 1, 2, 3];
        var before = GC.GetAllocatedBytesForCurrentThread();
        await Assert.ThrowsAsync<RpcException>(async () => await GrpcFraming.ReadMessageAsync(new MemoryStream(bytes), ProtoCodec.DefaultMaxMessageSize));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task A_large_frame_read_in_small_pieces_arrives_whole()
    {
        var message = new byte[300_000];
        new Random(3).NextBytes(message);
        var stream = new TrickleStream(GrpcFraming.Frame(message), pieceSize: 1000);
        Assert.Equal(message, await GrpcFraming.ReadMessageAsync(stream, 1_000_000));
    }

    [Theory]
    [InlineData(0.0001, "100000n")]
    [InlineData(0.5, "500000u")]
    [InlineData(30, "30000000u")]
    [InlineData(3000, "3000000m")]
    [InlineData(200_000, "200000S")]
    [InlineData(100_000_000, "1666667M")]
    public void Timeouts_are_formatted_with_at_most_eight_digits(double seconds, string expected)
    {
        var text = GrpcFraming.FormatTimeout(TimeSpan.FromSeconds(seconds));
        Assert.Equal(expected, text);
        Assert.True(text.Length <= 9);
        Assert.True(GrpcFraming.TryParseTimeout(text, out var parsed));
        Assert.True(parsed >= TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData("5H", 5 * 3600.0)]
    [InlineData("2M", 120.0)]
    [InlineData("10S", 10.0)]
    [InlineData("500m", 0.5)]
    [InlineData("250u", 0.00025)]
    [InlineData("1000n", 0.000001)]
    public void Timeouts_of_every_unit_parse(string text, double seconds)
    {
        Assert.True(GrpcFraming.TryParseTimeout(text, out var parsed));
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("10s")]
    [InlineData("-5S")]
    [InlineData("123456789S")]
    [InlineData("1.5S")]
    public void Malformed_timeouts_do_not_parse(string text)
    {
        Assert.False(GrpcFraming.TryParseTimeout(text, out _));
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100% done", "100%25 done")]
    [InlineData("ünï", "%C3%BCn%C3%AF")]
    [InlineData("line\nbreak", "line%0Abreak")]
    public void Status_messages_are_percent_encoded_as_UTF8(string message, string encoded)
    {
        Assert.Equal(encoded, GrpcFraming.EncodeStatusMessage(message));
        Assert.Equal(message, GrpcFraming.DecodeStatusMessage(encoded));
    }

    [Fact]
    public void Malformed_percent_escapes_are_kept_as_they_are()
    {
        Assert.Equal("50%", GrpcFraming.DecodeStatusMessage("50%"));
        Assert.Equal("%zz ok", GrpcFraming.DecodeStatusMessage("%zz ok"));
    }

    [Fact]
    public void Status_trailers_carry_the_code_and_the_encoded_message()
    {
        Assert.Equal([new("grpc-status", "0")], GrpcServerFraming.StatusTrailers(GrpcStatusCode.OK));
        Assert.Equal([new("grpc-status", "8"), new("grpc-message", "RATE_LIMITED: 5%25")], GrpcServerFraming.StatusTrailers(GrpcStatusCode.ResourceExhausted, "RATE_LIMITED: 5%"));
    }

    [Fact]
    public async Task The_server_reads_exactly_one_request_message()
    {
        var request = new PollRequest { CurrentHash = "x" };
        var one = new MemoryStream(GrpcServerFraming.FrameResponse(request));
        Assert.Equal("x", (await GrpcServerFraming.ReadUnaryRequestAsync<PollRequest>(one)).CurrentHash);

        var none = await Assert.ThrowsAsync<RpcException>(async () => await GrpcServerFraming.ReadUnaryRequestAsync<PollRequest>(new MemoryStream()));
        Assert.Equal(GrpcStatusCode.Internal, none.StatusCode);

        var two = new MemoryStream([.. GrpcServerFraming.FrameResponse(request), .. GrpcServerFraming.FrameResponse(request)]);
        var twice = await Assert.ThrowsAsync<RpcException>(async () => await GrpcServerFraming.ReadUnaryRequestAsync<PollRequest>(two));
        Assert.Equal(GrpcStatusCode.Internal, twice.StatusCode);

        var garbage = new MemoryStream(GrpcFraming.Frame([0x12, 0x09]));
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await GrpcServerFraming.ReadUnaryRequestAsync<PollRequest>(garbage));
        Assert.Equal(GrpcStatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("PollRequest", invalid.Detail, StringComparison.Ordinal);
    }

    /// <summary>Returns at most <c>pieceSize</c> bytes per read, as a network stream may.</summary>
    private sealed class TrickleStream(byte[] data, int pieceSize) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(buffer.Length, pieceSize)], cancellationToken);
    }
}
