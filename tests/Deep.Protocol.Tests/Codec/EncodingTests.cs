using Google.Protobuf;
using GC = Deepproto.Proto.Common.V1;

namespace Deep.Protocol.Tests.Codec;

/// <summary>Encoding never fails on content the host can produce, and is safe to call from many threads.</summary>
public sealed class EncodingTests
{
    [Fact]
    public void Null_elements_in_lists_and_maps_are_written_as_empty_values_instead_of_throwing()
    {
        var snapshot = new Snapshot();
        snapshot.Attributes.Add(null!);
        snapshot.VarLookup["1"] = null!;
        var frame = new StackFrame();
        frame.Variables.Add(null!);
        snapshot.Frames.Add(frame);
        var tracepoint = new TracePointConfig();
        tracepoint.Watches.Add(null!);
        tracepoint.Args["k"] = null!;
        snapshot.Tracepoint = tracepoint;

        var decoded = ProtoCodec.Decode<Snapshot>(ProtoCodec.Encode(snapshot));

        Assert.Equal("", Assert.Single(decoded.Attributes).Key);
        Assert.Equal("", decoded.VarLookup["1"].Type);
        Assert.Single(Assert.Single(decoded.Frames).Variables);
        Assert.Equal([""], decoded.Tracepoint!.Watches);
        Assert.Equal("", decoded.Tracepoint.Args["k"]);
    }

    [Fact]
    public void A_value_that_contains_itself_fails_cleanly_instead_of_overflowing_the_stack()
    {
        var array = new ArrayValue();
        var value = new AnyValue { ArrayValue = array };
        array.Values.Add(value);

        Assert.Throws<InsufficientExecutionStackException>(() => ProtoCodec.Encode(value));
        // The thread's encoder is still usable afterwards.
        Assert.Equal(new byte[] { 0x0A, 0x01, (byte)'x' }, ProtoCodec.Encode(AnyValue.Of("x")));
    }

    [Fact]
    public void Lone_surrogates_are_replaced_exactly_as_Google_does()
    {
        var text = "a\uD800b\uDC00c";
        Assert.Equal(new GC.AnyValue { StringValue = text }.ToByteArray(), ProtoCodec.Encode(AnyValue.Of(text)));
    }

    [Fact]
    public void Encoding_from_many_threads_at_once_gives_the_same_bytes()
    {
        var random = new RandomGoogleMessages(seed: 11);
        var messages = Enumerable.Range(0, 50).Select(_ => random.Snapshot()).ToArray();
        var expected = messages.Select(m => m.ToByteArray()).ToArray();
        var ours = messages.Select(GoogleMirror.ToOurs).ToArray();

        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var index = i % ours.Length;
            var bytes = ProtoCodec.Encode(ours[index]);
            if (!bytes.AsSpan().SequenceEqual(expected[index])) throw new Xunit.Sdk.XunitException($"message {index} encoded differently on a concurrent call");
        });
    }

    [Fact]
    public void The_size_matches_the_encoding()
    {
        var random = new RandomGoogleMessages(seed: 12);
        for (var i = 0; i < 200; i++)
        {
            var ours = GoogleMirror.ToOurs(random.Snapshot());
            Assert.Equal(ProtoCodec.Encode(ours).Length, ProtoCodec.CalculateSize(ours));
        }
    }
}
