// The codec of deepproto.proto.poll.v1. Tags are literal bytes: (field << 3) | wire type.
namespace Deep.Protocol;

public sealed partial class PollRequest : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = 0;
        if (TsNanos != 0) size += 9;
        if (!string.IsNullOrEmpty(CurrentHash)) size += 1 + sizes.String(CurrentHash);
        if (Resource is not null)
        {
            var slot = sizes.Reserve();
            size += 1 + sizes.Message(slot, Resource.ComputeSize(sizes));
        }
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (TsNanos != 0)
        {
            writer.WriteTag(0x09);
            writer.WriteFixed64(TsNanos);
        }
        if (!string.IsNullOrEmpty(CurrentHash))
        {
            writer.WriteTag(0x12);
            writer.WriteString(CurrentHash);
        }
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
        var size = 0;
        if (TsNanos != 0) size += 9;
        if (!string.IsNullOrEmpty(CurrentHash)) size += 1 + sizes.String(CurrentHash);
        size += TracePointConfig.SizeOfList(Response, sizes);
        if (ResponseType != 0) size += 1 + ProtoSize.Int32((int)ResponseType);
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (TsNanos != 0)
        {
            writer.WriteTag(0x09);
            writer.WriteFixed64(TsNanos);
        }
        if (!string.IsNullOrEmpty(CurrentHash))
        {
            writer.WriteTag(0x12);
            writer.WriteString(CurrentHash);
        }
        TracePointConfig.WriteList(Response, 0x1A, ref writer);
        if (ResponseType != 0)
        {
            writer.WriteTag(0x20);
            writer.WriteInt32((int)ResponseType);
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
                case 0x1A: Response.Add(TracePointConfig.ReadNested(ref reader)); break;
                // Unknown enum numbers are kept as they are (proto3 open enums), as Google.Protobuf does.
                case 0x20: ResponseType = (ResponseType)reader.ReadInt32(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}
