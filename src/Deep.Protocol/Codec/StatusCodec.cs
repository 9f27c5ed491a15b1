// The codec of deepdotnet.status.v1. Tags are literal bytes: (field << 3) | wire type.
namespace Deep.Protocol;

public sealed partial class ProbeStatus : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = sizes.StringField(TracepointId) + ProtoSize.EnumField((int)State) + sizes.StringField(Detail) + sizes.StringField(Method);
        return size + ProtoSize.UInt32Field(IlOffset) + ProtoSize.UInt32Field(LineUsed) + ProtoSize.UInt64Field(FireCount)
            + ProtoSize.Fixed64Field(UpdatedNanos);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, TracepointId);
        writer.WriteEnumField(0x10, (int)State);
        writer.WriteStringField(0x1A, Detail);
        writer.WriteStringField(0x22, Method);
        writer.WriteUInt32Field(0x28, IlOffset);
        writer.WriteUInt32Field(0x30, LineUsed);
        writer.WriteUInt64Field(0x38, FireCount);
        writer.WriteFixed64Field(0x41, UpdatedNanos);
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
}

public sealed partial class ProbeStatusReport : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        return sizes.StringField(AgentId) + KeyValue.SizeOfList(Resource, sizes) + ProbeStatus.SizeOfList(Statuses, sizes)
            + ProtoSize.Fixed64Field(TsNanos);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, AgentId);
        KeyValue.WriteList(Resource, 0x12, ref writer);
        ProbeStatus.WriteList(Statuses, 0x1A, ref writer);
        writer.WriteFixed64Field(0x21, TsNanos);
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
