using Google.Protobuf;
using Ours = Deep.Protocol;
using GS = Deepdotnet.Status.V1;

namespace Deep.Protocol.Tests.Codec;

/// <summary>
/// The status extension (<c>deepdotnet.status.v1</c>) against Google.Protobuf generated from proto/deepdotnet:
/// the same bytes both ways, so the agent's reports read correctly on the server (which decodes with Google's code).
/// </summary>
public sealed class StatusCompatibilityTests
{
    private const int MessagesPerType = 300;

    [Fact]
    public void Random_status_reports_encode_byte_for_byte_as_Google_Protobuf_and_decode_from_its_bytes()
    {
        var random = new RandomGoogleMessages(seed: 5_2026);
        var states = Enum.GetValues<GS.ProbeState>();
        for (var i = 0; i < MessagesPerType; i++)
        {
            var google = new GS.ProbeStatusReport { AgentId = random.String(), TsNanos = random.UInt64() };
            for (var k = i % 4; k > 0; k--) google.Resource.Add(random.KeyValue());
            for (var k = i % 6; k > 0; k--)
            {
                google.Statuses.Add(new GS.ProbeStatus
                {
                    TracepointId = random.String(),
                    State = states[(i + k) % states.Length],
                    Detail = random.String(),
                    Method = random.String(),
                    IlOffset = random.UInt32(),
                    LineUsed = random.UInt32(),
                    FireCount = random.UInt64(),
                    UpdatedNanos = random.UInt64(),
                });
            }
            var googleBytes = google.ToByteArray();
            var ours = ToOurs(google);
            var ourBytes = ProtoCodec.Encode(ours);
            if (!googleBytes.AsSpan().SequenceEqual(ourBytes))
                Assert.Fail($"report #{i}: encodings differ\nGoogle: {Convert.ToHexString(googleBytes)}\nours:   {Convert.ToHexString(ourBytes)}\nmessage: {google}");
            Assert.Equal(googleBytes.Length, ProtoCodec.CalculateSize(ours));
            var back = ToGoogle(ProtoCodec.Decode<Ours.ProbeStatusReport>(googleBytes));
            Assert.Equal(google, back);
        }
    }

    [Fact]
    public void Each_status_field_lands_on_the_field_number_of_the_proto()
    {
        var ours = new Ours.ProbeStatus
        {
            TracepointId = "tp", State = Ours.ProbeStatusState.Error, Detail = "no code", Method = "A.B.C",
            IlOffset = 0x1234, LineUsed = 42, FireCount = ulong.MaxValue, UpdatedNanos = 0x0102030405060708,
        };
        var google = GS.ProbeStatus.Parser.ParseFrom(ProtoCodec.Encode(ours));
        Assert.Equal("tp", google.TracepointId);
        Assert.Equal(GS.ProbeState.Error, google.State);
        Assert.Equal("no code", google.Detail);
        Assert.Equal("A.B.C", google.Method);
        Assert.Equal(0x1234u, google.IlOffset);
        Assert.Equal(42u, google.LineUsed);
        Assert.Equal(ulong.MaxValue, google.FireCount);
        Assert.Equal(0x0102030405060708ul, google.UpdatedNanos);
    }

    [Fact]
    public void Empty_status_messages_encode_to_no_bytes_like_Google()
    {
        Assert.Empty(new GS.ProbeStatusReport().ToByteArray());
        Assert.Empty(ProtoCodec.Encode(new Ours.ProbeStatusReport()));
        Assert.Empty(ProtoCodec.Encode(new Ours.ProbeStatus()));
        Assert.Empty(ProtoCodec.Encode(new Ours.ProbeStatusAck()));
    }

    [Fact]
    public void An_unknown_state_number_is_kept_like_Google()
    {
        var google = new GS.ProbeStatus { State = (GS.ProbeState)9 };
        var decoded = ProtoCodec.Decode<Ours.ProbeStatus>(google.ToByteArray());
        Assert.Equal((Ours.ProbeStatusState)9, decoded.State);
        Assert.Equal(google.ToByteArray(), ProtoCodec.Encode(decoded));
    }

    [Fact]
    public void The_method_path_matches_the_service_in_the_proto()
    {
        var method = GS.StatusReflection.Descriptor.Services.Single().Methods.Single();
        var fromProto = $"/{method.Service.FullName}/{method.Name}";
        Assert.Equal(Ours.Grpc.DeepDotnetMethods.ReportStatus, fromProto);
    }

    private static Ours.ProbeStatusReport ToOurs(GS.ProbeStatusReport g)
    {
        var o = new Ours.ProbeStatusReport { AgentId = g.AgentId, TsNanos = g.TsNanos };
        foreach (var kv in g.Resource) o.Resource.Add(GoogleMirror.ToOurs(kv));
        foreach (var s in g.Statuses)
        {
            o.Statuses.Add(new Ours.ProbeStatus
            {
                TracepointId = s.TracepointId, State = (Ours.ProbeStatusState)(int)s.State, Detail = s.Detail, Method = s.Method,
                IlOffset = s.IlOffset, LineUsed = s.LineUsed, FireCount = s.FireCount, UpdatedNanos = s.UpdatedNanos,
            });
        }
        return o;
    }

    private static GS.ProbeStatusReport ToGoogle(Ours.ProbeStatusReport o)
    {
        var g = new GS.ProbeStatusReport { AgentId = o.AgentId, TsNanos = o.TsNanos };
        foreach (var kv in o.Resource) g.Resource.Add(GoogleMirror.ToGoogle(kv));
        foreach (var s in o.Statuses)
        {
            g.Statuses.Add(new GS.ProbeStatus
            {
                TracepointId = s.TracepointId, State = (GS.ProbeState)(int)s.State, Detail = s.Detail, Method = s.Method,
                IlOffset = s.IlOffset, LineUsed = s.LineUsed, FireCount = s.FireCount, UpdatedNanos = s.UpdatedNanos,
            });
        }
        return g;
    }
}
