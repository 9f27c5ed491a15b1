using Google.Protobuf;
using Ours = Deep.Protocol;
using GC = Deepproto.Proto.Common.V1;
using GP = Deepproto.Proto.Poll.V1;
using GR = Deepproto.Proto.Resource.V1;
using GT = Deepproto.Proto.Tracepoint.V1;

namespace Deep.Protocol.Tests.Codec;

/// <summary>
/// Our codec against Google.Protobuf (generated from our own proto/): the same content must give the same bytes,
/// and each side must read the other's bytes back to the same content.
/// </summary>
public sealed class ByteCompatibilityTests
{
    private const int MessagesPerType = 1000;

    public static TheoryData<string> MessageTypes() =>
    [
        "AnyValue", "ArrayValue", "KeyValueList", "KeyValue", "Resource", "PollRequest", "PollResponse",
        "TracePointConfig", "Metric", "LabelExpression", "VariableID", "Variable", "StackFrame", "WatchResult",
        "Snapshot", "SnapshotResponse",
    ];

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Random_messages_encode_byte_for_byte_as_Google_Protobuf_and_decode_from_its_bytes(string type)
    {
        var random = new RandomGoogleMessages(seed: 20261122 + type.GetHashCode(StringComparison.Ordinal) % 1000);
        switch (type)
        {
            case "AnyValue": Check(() => random.AnyValue(), GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "ArrayValue": Check(random.ArrayValue, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "KeyValueList": Check(random.KeyValueList, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "KeyValue": Check(() => random.KeyValue(), GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "Resource": Check(random.Resource, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "PollRequest": Check(random.PollRequest, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "PollResponse": Check(random.PollResponse, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "TracePointConfig": Check(random.TracePointConfig, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "Metric": Check(random.Metric, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "LabelExpression": Check(random.LabelExpression, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "VariableID": Check(random.VariableID, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "Variable": Check(random.Variable, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "StackFrame": Check(random.StackFrame, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "WatchResult": Check(random.WatchResult, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "Snapshot": Check(random.Snapshot, GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            case "SnapshotResponse": Check(() => new GT.SnapshotResponse(), GoogleMirror.ToOurs, GoogleMirror.ToGoogle); break;
            default: throw new ArgumentException(type);
        }
    }

    [Fact]
    public void Empty_messages_encode_to_no_bytes_like_Google()
    {
        Same(new GT.Snapshot(), new Ours.Snapshot());
        Same(new GP.PollRequest(), new Ours.PollRequest());
        Same(new GP.PollResponse(), new Ours.PollResponse());
        Same(new GC.AnyValue(), new Ours.AnyValue());
        Assert.Empty(ProtoCodec.Encode(new Ours.Snapshot()));
    }

    [Fact]
    public void Optional_fields_set_to_their_default_are_written_like_Google()
    {
        var frame = new Ours.StackFrame { ClassName = "", IsAsync = false, ColumnNumber = 0, TranspiledLineNumber = 0, AppFrame = false, ShortPath = "" };
        Same(GoogleMirror.ToGoogle(frame), frame);
        // Hand-computed: field 4 "" (22 00), field 5 false (28 00), field 6 0 (30 00), field 8 0 (40 00), field 11 false (58 00), field 13 "" (6A 00).
        Assert.Equal(new byte[] { 0x22, 0x00, 0x28, 0x00, 0x30, 0x00, 0x40, 0x00, 0x58, 0x00, 0x6A, 0x00 }, ProtoCodec.Encode(frame));

        var metric = new Ours.Metric { Expression = "", Namespace = "", Help = "", Unit = "" };
        Same(GoogleMirror.ToGoogle(metric), metric);
        var variable = new Ours.Variable { Truncated = false };
        Assert.Equal(new byte[] { 0x28, 0x00 }, ProtoCodec.Encode(variable));
        Assert.False(ProtoCodec.Decode<Ours.Variable>(new byte[] { 0x28, 0x00 }).Truncated);
        Assert.Null(ProtoCodec.Decode<Ours.Variable>([]).Truncated);
    }

    [Fact]
    public void Oneof_members_set_to_defaults_are_written_like_Google()
    {
        Same(new GC.AnyValue { StringValue = "" }, new Ours.AnyValue { StringValue = "" });
        Same(new GC.AnyValue { IntValue = 0 }, new Ours.AnyValue { IntValue = 0 });
        Same(new GC.AnyValue { BoolValue = false }, new Ours.AnyValue { BoolValue = false });
        Same(new GC.AnyValue { DoubleValue = 0 }, new Ours.AnyValue { DoubleValue = 0 });
        Same(new GC.AnyValue { BytesValue = ByteString.Empty }, new Ours.AnyValue { BytesValue = [] });
        Same(new GC.AnyValue { ArrayValue = new GC.ArrayValue() }, new Ours.AnyValue { ArrayValue = new Ours.ArrayValue() });
        Same(new GT.WatchResult { ErrorResult = "" }, new Ours.WatchResult { ErrorResult = "" });
        Same(new GT.LabelExpression { Expression = "" }, new Ours.LabelExpression { Expression = "" });
    }

    [Fact]
    public void Negative_int64_is_a_ten_byte_varint()
    {
        // Hand-computed: tag 0x18, then -1 as 64-bit two's complement in 7-bit groups.
        var expected = new byte[] { 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 };
        Assert.Equal(expected, ProtoCodec.Encode(Ours.AnyValue.Of(-1L)));
        Assert.Equal(-1L, ProtoCodec.Decode<Ours.AnyValue>(expected).IntValue);
        Same(new GC.AnyValue { IntValue = long.MinValue }, Ours.AnyValue.Of(long.MinValue));
        Same(new GC.AnyValue { IntValue = long.MaxValue }, Ours.AnyValue.Of(long.MaxValue));
    }

    [Fact]
    public void Fixed64_timestamps_and_doubles_are_little_endian()
    {
        var request = new Ours.PollRequest { TsNanos = 0x0102030405060708 };
        Assert.Equal(new byte[] { 0x09, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 }, ProtoCodec.Encode(request));
        // 1.0 is 0x3FF0000000000000.
        Assert.Equal(new byte[] { 0x21, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F }, ProtoCodec.Encode(Ours.AnyValue.Of(1.0)));
        Same(new GT.Snapshot { TsNanos = ulong.MaxValue, DurationNanos = ulong.MaxValue }, new Ours.Snapshot { TsNanos = ulong.MaxValue, DurationNanos = ulong.MaxValue });
    }

    [Fact]
    public void Negative_enum_values_are_sign_extended_like_Google()
    {
        var ours = new Ours.PollResponse { ResponseType = (Ours.ResponseType)(-3) };
        Same(new GP.PollResponse { ResponseType = (GP.ResponseType)(-3) }, ours);
        Assert.Equal(11, ProtoCodec.Encode(ours).Length);
        Assert.Equal((Ours.ResponseType)(-3), ProtoCodec.Decode<Ours.PollResponse>(ProtoCodec.Encode(ours)).ResponseType);
    }

    [Fact]
    public void Non_ASCII_strings_are_UTF8_like_Google()
    {
        foreach (var text in new[] { "é", "日本", "😀", "mixed ascii and ünïcödé " + new string('x', 100) + "末尾", new string('ß', 70) })
        {
            Same(new GC.KeyValue { Key = text, Value = new GC.AnyValue { StringValue = text } }, new Ours.KeyValue(text, text));
        }
    }

    [Fact]
    public void Map_entries_with_empty_keys_and_values_match_Google()
    {
        var tracepoint = new Ours.TracePointConfig();
        tracepoint.Args[""] = "";
        tracepoint.Args["k"] = "";
        tracepoint.Args[""] = "v";
        tracepoint.Args["fire_count"] = "5";
        Same(GoogleMirror.ToGoogle(tracepoint), tracepoint);

        var snapshot = new Ours.Snapshot();
        snapshot.VarLookup[""] = new Ours.Variable();
        snapshot.VarLookup["1"] = new Ours.Variable { Type = "int", Value = "5" };
        Same(GoogleMirror.ToGoogle(snapshot), snapshot);
    }

    [Fact]
    public void Large_maps_and_long_values_match_Google()
    {
        var snapshot = new Ours.Snapshot { ID = new byte[16], TsNanos = 1 };
        for (var i = 0; i < 20_000; i++)
            snapshot.VarLookup[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new Ours.Variable { Type = "string", Value = new string('v', i % 300), Hash = "h" + i };
        snapshot.LogMsg = new string('L', 1_000_000);
        Same(GoogleMirror.ToGoogle(snapshot), snapshot);
    }

    [Fact]
    public void Deeply_nested_values_within_the_limit_match_Google()
    {
        var ours = Ours.AnyValue.Of("leaf");
        for (var i = 0; i < 30; i++)
        {
            var array = new Ours.ArrayValue();
            array.Values.Add(ours);
            ours = new Ours.AnyValue { ArrayValue = array };
        }
        Same(GoogleMirror.ToGoogle(ours), ours);
    }

    [Fact]
    public void Fields_out_of_number_order_and_repeated_singular_fields_decode_like_Google()
    {
        // Hand-written: field 2 before field 1, then field 1 again (last one wins), then a second value message that
        // merges into the first, where the oneof's later member (int 5) replaces the earlier one (bool true).
        byte[] bytes = [0x12, 0x02, 0x10, 0x01, 0x0A, 0x01, (byte)'a', 0x0A, 0x01, (byte)'b', 0x12, 0x02, 0x18, 0x05];
        var google = GC.KeyValue.Parser.ParseFrom(bytes);
        var ours = ProtoCodec.Decode<Ours.KeyValue>(bytes);
        Assert.Equal("b", ours.Key);
        Assert.Equal(5L, ours.Value!.IntValue);
        Assert.Equal(google, GoogleMirror.ToGoogle(ours));
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_are_skipped_like_Google()
    {
        // KeyValue{key="k"} with unknown fields 15 (varint), 16 (fixed64), 17 (bytes), 18 (group holding a varint), 19 (fixed32).
        byte[] bytes =
        [
            0x78, 0x96, 0x01,
            0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8,
            0x8A, 0x01, 0x03, 9, 9, 9,
            0x93, 0x01, 0x08, 0x05, 0x94, 0x01,
            0x9D, 0x01, 1, 2, 3, 4,
            0x0A, 0x01, (byte)'k',
        ];
        var google = GC.KeyValue.Parser.ParseFrom(bytes);
        var ours = ProtoCodec.Decode<Ours.KeyValue>(bytes);
        Assert.Equal("k", ours.Key);
        Assert.Equal(google.Key, ours.Key);
    }

    [Fact]
    public void A_known_field_with_an_unexpected_wire_type_is_skipped_like_Google()
    {
        // Field 1 of KeyValue (a string) sent as a varint, then the real key.
        byte[] bytes = [0x08, 0x05, 0x0A, 0x01, (byte)'z'];
        Assert.Equal(GC.KeyValue.Parser.ParseFrom(bytes).Key, ProtoCodec.Decode<Ours.KeyValue>(bytes).Key);
    }

    private static void Check<TG, TO>(Func<TG> make, Func<TG, TO> toOurs, Func<TO, TG> toGoogle)
        where TG : IMessage<TG>
        where TO : class, IProtoMessage, new()
    {
        for (var i = 0; i < MessagesPerType; i++)
        {
            var google = make();
            var googleBytes = google.ToByteArray();
            var ourBytes = ProtoCodec.Encode(toOurs(google));
            if (!googleBytes.AsSpan().SequenceEqual(ourBytes))
                Assert.Fail($"{typeof(TO).Name} #{i}: encodings differ\nGoogle: {Convert.ToHexString(googleBytes)}\nours:   {Convert.ToHexString(ourBytes)}\nmessage: {google}");
            Assert.Equal(googleBytes.Length, ProtoCodec.CalculateSize(toOurs(google)));

            var decoded = ProtoCodec.Decode<TO>(googleBytes);
            var back = toGoogle(decoded);
            if (!google.Equals(back))
                Assert.Fail($"{typeof(TO).Name} #{i}: our decoding of Google's bytes differs\nexpected: {google}\nactual:   {back}");
        }
    }

    private static void Same<TG, TO>(TG google, TO ours)
        where TG : IMessage<TG>
        where TO : class, IProtoMessage, new()
    {
        var googleBytes = google.ToByteArray();
        var ourBytes = ProtoCodec.Encode(ours);
        Assert.Equal(Convert.ToHexString(googleBytes), Convert.ToHexString(ourBytes));
        var parsed = (TG)google.Descriptor.Parser.ParseFrom(ourBytes);
        Assert.Equal(google, parsed);
        Assert.Equal(googleBytes, ProtoCodec.Encode(ProtoCodec.Decode<TO>(googleBytes)));
    }
}
