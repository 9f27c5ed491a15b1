// The codec of deepproto.proto.poll.v1. Tags are literal bytes: (field << 3) | wire type.
namespace Deep.Protocol;

public sealed partial class PollRequest : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = ProtoSize.Fixed64Field(TsNanos) + sizes.StringField(CurrentHash);
        return Resource is null ? size : size + 1 + sizes.Message(sizes.Reserve(), Resource.ComputeSize(sizes));
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteFixed64Field(0x09, TsNanos);
        writer.WriteStringField(0x12, CurrentHash);
        if (Resource is not null)
        {
            writer.BeginMessage(0x1A);
            Resource.WriteTo(ref writer);
        }
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x09: TsNanos = reader.ReadFixed64(); break;
                case 0x12: CurrentHash = reader.ReadString(); break;
                case 0x1A: Resource = (Resource ?? new Resource()).MergeNested(ref reader); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class PollResponse : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        return ProtoSize.Fixed64Field(TsNanos) + sizes.StringField(CurrentHash) + TracePointConfig.SizeOfList(Response, sizes)
            + ProtoSize.EnumField((int)ResponseType);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteFixed64Field(0x09, TsNanos);
        writer.WriteStringField(0x12, CurrentHash);
        TracePointConfig.WriteList(Response, 0x1A, ref writer);
        writer.WriteEnumField(0x20, (int)ResponseType);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x09: TsNanos = reader.ReadFixed64(); break;
                case 0x12: CurrentHash = reader.ReadString(); break;
                case 0x1A: Response.Add(TracePointConfig.ReadNested(ref reader)); break;
                // Unknown enum numbers are kept as they are (proto3 open enums), as Google.Protobuf does.
                case 0x20: ResponseType = (ResponseType)reader.ReadInt32(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}
