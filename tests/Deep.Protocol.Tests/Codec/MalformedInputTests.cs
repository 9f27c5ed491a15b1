using Google.Protobuf;
using GT = Deepproto.Proto.Tracepoint.V1;

namespace Deep.Protocol.Tests.Codec;

/// <summary>Malformed input only ever produces <see cref="ProtoDecodeException"/>, with the offset and the reason.</summary>
public sealed class MalformedInputTests
{
    private static byte[] RichSnapshotBytes()
    {
        var random = new RandomGoogleMessages(seed: 7);
        GT.Snapshot snapshot;
        do snapshot = random.Snapshot();
        while (snapshot.CalculateSize() < 2000 || snapshot.Tracepoint is null || snapshot.Frames.Count == 0);
        return snapshot.ToByteArray();
    }

    private static Exception? TryDecode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            ProtoCodec.Decode<Snapshot>(bytes);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_snapshot_is_accepted_or_rejected_exactly_as_Google_does()
    {
        var bytes = RichSnapshotBytes();
        var rejected = 0;
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes.AsSpan(0, length);
            var ours = TryDecode(prefix);
            if (ours is not null && ours is not ProtoDecodeException)
                Assert.Fail($"prefix of {length} bytes threw {ours.GetType().Name}: {ours}");
            bool googleAccepts;
            try
            {
                GT.Snapshot.Parser.ParseFrom(prefix.ToArray());
                googleAccepts = true;
            }
            catch (InvalidProtocolBufferException)
            {
                googleAccepts = false;
            }
            Assert.True(googleAccepts == (ours is null), $"prefix of {length} bytes: Google {(googleAccepts ? "accepts" : "rejects")}, ours {(ours is null ? "accepts" : "rejects: " + ours.Message)}");
            if (ours is ProtoDecodeException decode)
            {
                rejected++;
                Assert.InRange(decode.Offset, 0, length);
            }
        }
        Assert.True(rejected > bytes.Length / 2, $"only {rejected} of {bytes.Length} truncations were rejected");
    }

    [Fact]
    public void Random_bit_flips_only_ever_produce_ProtoDecodeException()
    {
        var original = RichSnapshotBytes();
        var random = new Random(12345);
        var rejected = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            var ex = TryDecode(bytes);
            if (ex is null) continue;
            if (ex is not ProtoDecodeException decode) throw new Xunit.Sdk.XunitException($"mutation {i} threw {ex.GetType().Name}: {ex}");
            Assert.InRange(decode.Offset, 0, bytes.Length);
            Assert.False(string.IsNullOrWhiteSpace(decode.Reason));
            rejected++;
        }
        Assert.True(rejected > 1000, $"only {rejected} mutations were rejected: the corpus is not exercising the error paths");
    }

    [Fact]
    public void Random_garbage_only_ever_produces_ProtoDecodeException()
    {
        var random = new Random(99);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(1, 64)];
            random.NextBytes(bytes);
            var ex = TryDecode(bytes);
            if (ex is not null and not ProtoDecodeException) throw new Xunit.Sdk.XunitException($"garbage {Convert.ToHexString(bytes)} threw {ex}");
        }
    }

    private static ProtoDecodeException Rejects<T>(byte[] bytes, int maxMessageSize = ProtoCodec.DefaultMaxMessageSize) where T : class, IProtoMessage, new()
        => Assert.Throws<ProtoDecodeException>(() => ProtoCodec.Decode<T>(bytes, maxMessageSize));

    [Fact]
    public void A_truncated_varint_is_reported_where_the_input_ends()
    {
        var ex = Rejects<PollResponse>([0x20, 0x96]);
        Assert.Equal(2, ex.Offset);
        Assert.Contains("truncated varint", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_varint_longer_than_ten_bytes_is_rejected()
    {
        var ex = Rejects<PollResponse>([0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        Assert.Equal(1, ex.Offset);
        Assert.Contains("longer than 10 bytes", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public void Wire_types_6_and_7_are_rejected(int wireType)
    {
        var ex = Rejects<Snapshot>([0x0A, 0x00, (byte)((15 << 3) | wireType), 0x00]);
        Assert.Equal(2, ex.Offset);
        Assert.Contains($"invalid wire type {wireType}", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_length_past_the_end_is_rejected_at_the_length()
    {
        var ex = Rejects<KeyValue>([0x0A, 0x05, (byte)'a', (byte)'b']);
        Assert.Equal(1, ex.Offset);
        Assert.Contains("past the end", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_length_past_its_parent_is_rejected()
    {
        // KeyValue.value (3 bytes) holding a string that claims 10.
        var ex = Rejects<KeyValue>([0x12, 0x03, 0x0A, 0x0A, (byte)'a', (byte)'b', (byte)'c', (byte)'d']);
        Assert.Equal(3, ex.Offset);
    }

    [Fact]
    public void A_two_gigabyte_length_on_a_tiny_input_allocates_nothing_like_it()
    {
        byte[] bytes = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 1, 2, 3, 4];
        ProtoDecodeException? caught = null;
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            ProtoCodec.Decode<Snapshot>(bytes);
        }
        catch (ProtoDecodeException ex)
        {
            caught = ex;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotNull(caught);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Messages_nested_64_deep_decode_and_65_deep_are_rejected()
    {
        Assert.Equal(64, Depth(ProtoCodec.Decode<AnyValue>(NestedAnyValue(64))));
        var ex = Rejects<AnyValue>(NestedAnyValue(65));
        Assert.Contains("nested deeper than 64", ex.Reason, StringComparison.Ordinal);
    }

    /// <summary>An AnyValue whose innermost message is <paramref name="depth"/> levels below the top (AnyValue → ArrayValue → AnyValue ...).</summary>
    private static byte[] NestedAnyValue(int depth)
    {
        byte[] inner = [];
        for (var level = depth; level > 0; level--)
        {
            // Odd levels are ArrayValues (field 5 of AnyValue), even levels AnyValues (field 1 of ArrayValue).
            var tag = level % 2 == 1 ? (byte)0x2A : (byte)0x0A;
            inner = [tag, .. Varint((uint)inner.Length), .. inner];
        }
        return inner;
    }

    private static int Depth(AnyValue value)
    {
        var depth = 0;
        while (value.ArrayValue is { } array)
        {
            depth++;
            if (array.Values.Count == 0) break;
            value = array.Values[0];
            depth++;
        }
        return depth;
    }

    private static byte[] Varint(uint value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }

    [Fact]
    public void Unknown_groups_nested_deeper_than_64_are_rejected()
    {
        var bytes = new List<byte>();
        for (var i = 0; i < 70; i++) bytes.Add((15 << 3) | 3);
        for (var i = 0; i < 70; i++) bytes.Add((15 << 3) | 4);
        var ex = Rejects<Snapshot>([.. bytes]);
        Assert.Contains("deeper than 64", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_closed_by_another_fields_end_group_is_rejected()
    {
        var ex = Rejects<Snapshot>([(15 << 3) | 3, (14 << 3) | 4]);
        Assert.Equal(1, ex.Offset);
        Assert.Contains("closes the group of field 15", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stray_end_group_is_rejected()
    {
        var ex = Rejects<Snapshot>([(15 << 3) | 4]);
        Assert.Equal(0, ex.Offset);
        Assert.Contains("without a matching start-group", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_that_is_never_closed_is_rejected()
    {
        var ex = Rejects<Snapshot>([(15 << 3) | 3, 0x08, 0x01]);
        Assert.Contains("not closed", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Field_number_zero_is_rejected()
    {
        var ex = Rejects<Snapshot>([0x00, 0x01]);
        Assert.Equal(0, ex.Offset);
        Assert.Contains("field number 0", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fixed64_cut_short_is_rejected()
    {
        var ex = Rejects<PollRequest>([0x09, 1, 2, 3]);
        Assert.Contains("fixed64 needs 8 bytes", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_that_is_not_UTF8_is_rejected()
    {
        var ex = Rejects<KeyValue>([0x0A, 0x02, 0xC3, 0x28]);
        Assert.Equal(2, ex.Offset);
        Assert.Contains("UTF-8", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_over_the_configured_maximum_is_rejected_before_reading()
    {
        var bytes = ProtoCodec.Encode(new KeyValue("key", new string('v', 100)));
        var ex = Rejects<KeyValue>(bytes, maxMessageSize: 50);
        Assert.Equal(0, ex.Offset);
        Assert.Contains("exceeds the limit of 50", ex.Reason, StringComparison.Ordinal);
        Assert.Equal("key", ProtoCodec.Decode<KeyValue>(bytes, maxMessageSize: bytes.Length).Key);
    }

    [Fact]
    public void The_exception_message_names_offset_and_reason()
    {
        var ex = Rejects<KeyValue>([0x0A, 0x05]);
        Assert.Equal($"malformed protobuf at byte {ex.Offset}: {ex.Reason}", ex.Message);
    }
}
