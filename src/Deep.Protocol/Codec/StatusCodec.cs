// The codec of deepdotnet.status.v1. Tags are literal bytes: (field << 3) | wire type.
namespace Deep.Protocol;

public sealed partial class ProbeStatus : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = 0;
        if (!string.IsNullOrEmpty(TracepointId)) size += 1 + sizes.String(TracepointId);
        if (State != 0) size += 1 + ProtoSize.Int32((int)State);
        if (!string.IsNullOrEmpty(Detail)) size += 1 + sizes.String(Detail);
        if (!string.IsNullOrEmpty(Method)) size += 1 + sizes.String(Method);
        if (IlOffset != 0) size += 1 + ProtoSize.Varint(IlOffset);
        if (LineUsed != 0) size += 1 + ProtoSize.Varint(LineUsed);
        if (FireCount != 0) size += 1 + ProtoSize.Varint(FireCount);
        if (UpdatedNanos != 0) size += 9;
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(TracepointId))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(TracepointId);
        }
        if (State != 0)
        {
            writer.WriteTag(0x10);
            writer.WriteInt32((int)State);
        }
        if (!string.IsNullOrEmpty(Detail))
        {
            writer.WriteTag(0x1A);
            writer.WriteString(Detail);
        }
        if (!string.IsNullOrEmpty(Method))
        {
            writer.WriteTag(0x22);
            writer.WriteString(Method);
        }
        if (IlOffset != 0)
        {
            writer.WriteTag(0x28);
            writer.WriteVarint(IlOffset);
        }
        if (LineUsed != 0)
        {
            writer.WriteTag(0x30);
            writer.WriteVarint(LineUsed);
        }
        if (FireCount != 0)
        {
            writer.WriteTag(0x38);
            writer.WriteVarint(FireCount);
        }
        if (UpdatedNanos != 0)
        {
            writer.WriteTag(0x41);
            writer.WriteFixed64(UpdatedNanos);
        }
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: TracepointId = reader.ReadString(); break;
                // Unknown enum numbers are kept as they are (proto3 open enums), as Google.Protobuf does.
                case 0x10: State = (ProbeStatusState)reader.ReadInt32(); break;
                case 0x1A: Detail = reader.ReadString(); break;
                case 0x22: Method = reader.ReadString(); break;
                case 0x28: IlOffset = reader.ReadUInt32(); break;
                case 0x30: LineUsed = reader.ReadUInt32(); break;
                case 0x38: FireCount = reader.ReadVarint(); break;
                case 0x41: UpdatedNanos = reader.ReadFixed64(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }

    internal static ProbeStatus ReadNested(ref ProtoReader reader)
    {
        var message = new ProbeStatus();
        var parent = reader.BeginMessage();
        message.MergeFrom(ref reader);
        reader.EndMessage(parent);
        return message;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<ProbeStatus> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items)
        {
            var slot = sizes.Reserve();
            size += 1 + sizes.Message(slot, item is null ? 0 : item.ComputeSize(sizes));
        }
        return size;
    }

    internal static void WriteList(List<ProbeStatus> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class ProbeStatusReport : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = 0;
        if (!string.IsNullOrEmpty(AgentId)) size += 1 + sizes.String(AgentId);
        size += KeyValue.SizeOfList(Resource, sizes);
        size += ProbeStatus.SizeOfList(Statuses, sizes);
        if (TsNanos != 0) size += 9;
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(AgentId))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(AgentId);
        }
        KeyValue.WriteList(Resource, 0x12, ref writer);
        ProbeStatus.WriteList(Statuses, 0x1A, ref writer);
        if (TsNanos != 0)
        {
            writer.WriteTag(0x21);
            writer.WriteFixed64(TsNanos);
        }
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: AgentId = reader.ReadString(); break;
                case 0x12: Resource.Add(KeyValue.ReadNested(ref reader)); break;
                case 0x1A: Statuses.Add(ProbeStatus.ReadNested(ref reader)); break;
                case 0x21: TsNanos = reader.ReadFixed64(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class ProbeStatusAck : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => 0;
    void IProtoMessage.WriteTo(ref ProtoWriter writer) { }
    void IProtoMessage.MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag)) reader.SkipField(tag);
    }
}
