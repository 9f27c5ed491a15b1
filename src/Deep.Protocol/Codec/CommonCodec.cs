using System.Runtime.CompilerServices;

// The codec of deepproto.proto.common.v1 and resource.v1. Tags are written as literal bytes: (field << 3) | wire type.
namespace Deep.Protocol;

public sealed partial class AnyValue : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        // Values nest through arrays and lists; a cycle or absurd depth must fail cleanly, not overflow the stack.
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (ValueCase)
        {
            case AnyValueCase.StringValue: return 1 + sizes.String((string)_value!);
            case AnyValueCase.BoolValue: return 2;
            case AnyValueCase.IntValue: return 1 + ProtoSize.Varint((ulong)(long)_value!);
            case AnyValueCase.DoubleValue: return 9;
            // The slot is reserved (the first argument) before the children record theirs.
            case AnyValueCase.ArrayValue: return 1 + sizes.Message(sizes.Reserve(), ((ArrayValue)_value!).ComputeSize(sizes));
            case AnyValueCase.KvlistValue: return 1 + sizes.Message(sizes.Reserve(), ((KeyValueList)_value!).ComputeSize(sizes));
            case AnyValueCase.BytesValue: return 1 + ProtoSize.Bytes((byte[])_value!);
            default: return 0;
        }
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        switch (ValueCase)
        {
            case AnyValueCase.StringValue:
                writer.WriteTag(0x0A);
                writer.WriteString((string)_value!);
                break;
            case AnyValueCase.BoolValue:
                writer.WriteTag(0x10);
                writer.WriteBool((bool)_value!);
                break;
            case AnyValueCase.IntValue:
                writer.WriteTag(0x18);
                writer.WriteVarint((ulong)(long)_value!);
                break;
            case AnyValueCase.DoubleValue:
                writer.WriteTag(0x21);
                writer.WriteDouble((double)_value!);
                break;
            case AnyValueCase.ArrayValue:
                writer.BeginMessage(0x2A);
                ((ArrayValue)_value!).WriteTo(ref writer);
                break;
            case AnyValueCase.KvlistValue:
                writer.BeginMessage(0x32);
                ((KeyValueList)_value!).WriteTo(ref writer);
                break;
            case AnyValueCase.BytesValue:
                writer.WriteTag(0x3A);
                writer.WriteBytes((byte[])_value!);
                break;
        }
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: StringValue = reader.ReadString(); break;
                case 0x10: BoolValue = reader.ReadBool(); break;
                case 0x18: IntValue = reader.ReadInt64(); break;
                case 0x21: DoubleValue = reader.ReadDouble(); break;
                // A repeated occurrence of a oneof message merges into the one already set, as protobuf specifies.
                case 0x2A: ArrayValue = (ArrayValue ?? new ArrayValue()).MergeNested(ref reader); break;
                case 0x32: KvlistValue = (KvlistValue ?? new KeyValueList()).MergeNested(ref reader); break;
                case 0x3A: BytesValue = reader.ReadBytes(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class ArrayValue : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes) => AnyValue.SizeOfList(Values, sizes);

    internal void WriteTo(ref ProtoWriter writer) => AnyValue.WriteList(Values, 0x0A, ref writer);

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            if (tag == 0x0A) Values.Add(AnyValue.ReadNested(ref reader));
            else reader.SkipField(tag);
        }
    }
}

public sealed partial class KeyValueList : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes) => KeyValue.SizeOfList(Values, sizes);

    internal void WriteTo(ref ProtoWriter writer) => KeyValue.WriteList(Values, 0x0A, ref writer);

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            if (tag == 0x0A) Values.Add(KeyValue.ReadNested(ref reader));
            else reader.SkipField(tag);
        }
    }
}

public sealed partial class KeyValue : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = sizes.StringField(Key);
        return Value is null ? size : size + 1 + sizes.Message(sizes.Reserve(), Value.ComputeSize(sizes));
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, Key);
        if (Value is not null)
        {
            writer.BeginMessage(0x12);
            Value.WriteTo(ref writer);
        }
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: Key = reader.ReadString(); break;
                case 0x12: Value = (Value ?? new AnyValue()).MergeNested(ref reader); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class Resource : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        return KeyValue.SizeOfList(Attributes, sizes) + ProtoSize.UInt32Field(DroppedAttributesCount);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        KeyValue.WriteList(Attributes, 0x0A, ref writer);
        writer.WriteUInt32Field(0x10, DroppedAttributesCount);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: Attributes.Add(KeyValue.ReadNested(ref reader)); break;
                case 0x10: DroppedAttributesCount = reader.ReadUInt32(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}
