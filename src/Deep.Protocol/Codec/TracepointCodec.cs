// The codec of deepproto.proto.tracepoint.v1. Tags are literal bytes: (field << 3) | wire type.
namespace Deep.Protocol;

public sealed partial class TracePointConfig : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = sizes.StringField(ID) + sizes.StringField(Path) + ProtoSize.UInt32Field(LineNumber);
        foreach (var (key, value) in Args)
        {
            // A map entry is a nested message {key = 1, value = 2}; like Google.Protobuf, default key/value are omitted.
            size += 1 + sizes.Message(sizes.Reserve(), sizes.StringField(key) + sizes.StringField(value));
        }
        size += Codec.SizeOfStrings(Watches, sizes);
        size += KeyValue.SizeOfList(Targeting, sizes);
        size += Metric.SizeOfList(Metrics, sizes);
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, ID);
        writer.WriteStringField(0x12, Path);
        writer.WriteUInt32Field(0x18, LineNumber);
        foreach (var (key, value) in Args)
        {
            writer.BeginMessage(0x22);
            writer.WriteStringField(0x0A, key);
            writer.WriteStringField(0x12, value);
        }
        Codec.WriteStrings(Watches, 0x2A, ref writer);
        KeyValue.WriteList(Targeting, 0x32, ref writer);
        Metric.WriteList(Metrics, 0x3A, ref writer);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: ID = reader.ReadString(); break;
                case 0x12: Path = reader.ReadString(); break;
                case 0x18: LineNumber = reader.ReadUInt32(); break;
                case 0x22:
                {
                    var key = "";
                    var value = "";
                    var parent = reader.BeginMessage();
                    while (reader.TryReadTag(out var entryTag))
                    {
                        switch (entryTag)
                        {
                            case 0x0A: key = reader.ReadString(); break;
                            case 0x12: value = reader.ReadString(); break;
                            default: reader.SkipField(entryTag); break;
                        }
                    }
                    reader.EndMessage(parent);
                    // A repeated key replaces the earlier entry, as protobuf's map semantics say.
                    Args[key] = value;
                    break;
                }
                case 0x2A: Watches.Add(reader.ReadString()); break;
                case 0x32: Targeting.Add(KeyValue.ReadNested(ref reader)); break;
                case 0x3A: Metrics.Add(Metric.ReadNested(ref reader)); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class Metric : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = sizes.StringField(Name) + LabelExpression.SizeOfList(LabelExpressions, sizes) + ProtoSize.EnumField((int)Type);
        return size + sizes.OptionalString(Expression) + sizes.OptionalString(Namespace) + sizes.OptionalString(Help) + sizes.OptionalString(Unit);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, Name);
        LabelExpression.WriteList(LabelExpressions, 0x12, ref writer);
        writer.WriteEnumField(0x18, (int)Type);
        writer.WriteOptionalString(0x22, Expression);
        writer.WriteOptionalString(0x2A, Namespace);
        writer.WriteOptionalString(0x32, Help);
        writer.WriteOptionalString(0x3A, Unit);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: Name = reader.ReadString(); break;
                case 0x12: LabelExpressions.Add(LabelExpression.ReadNested(ref reader)); break;
                case 0x18: Type = (MetricType)reader.ReadInt32(); break;
                case 0x22: Expression = reader.ReadString(); break;
                case 0x2A: Namespace = reader.ReadString(); break;
                case 0x32: Help = reader.ReadString(); break;
                case 0x3A: Unit = reader.ReadString(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class LabelExpression : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = sizes.StringField(Key);
        switch (ValueCase)
        {
            case LabelExpressionValueCase.Static:
                size += 1 + sizes.Message(sizes.Reserve(), ((AnyValue)_value!).ComputeSize(sizes));
                break;
            case LabelExpressionValueCase.Expression:
                size += 1 + sizes.String((string)_value!);
                break;
        }
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, Key);
        switch (ValueCase)
        {
            case LabelExpressionValueCase.Static:
                writer.BeginMessage(0x12);
                ((AnyValue)_value!).WriteTo(ref writer);
                break;
            case LabelExpressionValueCase.Expression:
                writer.WriteOptionalString(0x1A, (string)_value!);
                break;
        }
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: Key = reader.ReadString(); break;
                case 0x12: Static = (Static ?? new AnyValue()).MergeNested(ref reader); break;
                case 0x1A: Expression = reader.ReadString(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class VariableID : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        return sizes.StringField(ID) + sizes.StringField(Name) + Codec.SizeOfStrings(Modifiers, sizes) + sizes.OptionalString(OriginalName);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, ID);
        writer.WriteStringField(0x12, Name);
        Codec.WriteStrings(Modifiers, 0x1A, ref writer);
        writer.WriteOptionalString(0x22, OriginalName);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: ID = reader.ReadString(); break;
                case 0x12: Name = reader.ReadString(); break;
                case 0x1A: Modifiers.Add(reader.ReadString()); break;
                case 0x22: OriginalName = reader.ReadString(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class Variable : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        return sizes.StringField(Type) + sizes.StringField(Value) + sizes.StringField(Hash)
            + VariableID.SizeOfList(Children, sizes) + ProtoSize.OptionalBool(Truncated);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, Type);
        writer.WriteStringField(0x12, Value);
        writer.WriteStringField(0x1A, Hash);
        VariableID.WriteList(Children, 0x22, ref writer);
        writer.WriteOptionalBool(0x28, Truncated);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: Type = reader.ReadString(); break;
                case 0x12: Value = reader.ReadString(); break;
                case 0x1A: Hash = reader.ReadString(); break;
                case 0x22: Children.Add(VariableID.ReadNested(ref reader)); break;
                case 0x28: Truncated = reader.ReadBool(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class StackFrame : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        // Summed in field order: the sizing pass records string lengths in the order the writer reads them back.
        var size = sizes.StringField(FileName) + sizes.StringField(MethodName) + ProtoSize.UInt32Field(LineNumber)
            + sizes.OptionalString(ClassName) + ProtoSize.OptionalBool(IsAsync) + ProtoSize.OptionalUInt32(ColumnNumber);
        size += sizes.OptionalString(TranspiledFileName) + ProtoSize.OptionalUInt32(TranspiledLineNumber)
            + ProtoSize.OptionalUInt32(TranspiledColumnNumber) + VariableID.SizeOfList(Variables, sizes);
        return size + ProtoSize.OptionalBool(AppFrame) + ProtoSize.OptionalBool(NativeFrame) + sizes.OptionalString(ShortPath);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, FileName);
        writer.WriteStringField(0x12, MethodName);
        writer.WriteUInt32Field(0x18, LineNumber);
        writer.WriteOptionalString(0x22, ClassName);
        writer.WriteOptionalBool(0x28, IsAsync);
        writer.WriteOptionalUInt32(0x30, ColumnNumber);
        writer.WriteOptionalString(0x3A, TranspiledFileName);
        writer.WriteOptionalUInt32(0x40, TranspiledLineNumber);
        writer.WriteOptionalUInt32(0x48, TranspiledColumnNumber);
        VariableID.WriteList(Variables, 0x52, ref writer);
        writer.WriteOptionalBool(0x58, AppFrame);
        writer.WriteOptionalBool(0x60, NativeFrame);
        writer.WriteOptionalString(0x6A, ShortPath);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: FileName = reader.ReadString(); break;
                case 0x12: MethodName = reader.ReadString(); break;
                case 0x18: LineNumber = reader.ReadUInt32(); break;
                case 0x22: ClassName = reader.ReadString(); break;
                case 0x28: IsAsync = reader.ReadBool(); break;
                case 0x30: ColumnNumber = reader.ReadUInt32(); break;
                case 0x3A: TranspiledFileName = reader.ReadString(); break;
                case 0x40: TranspiledLineNumber = reader.ReadUInt32(); break;
                case 0x48: TranspiledColumnNumber = reader.ReadUInt32(); break;
                case 0x52: Variables.Add(VariableID.ReadNested(ref reader)); break;
                case 0x58: AppFrame = reader.ReadBool(); break;
                case 0x60: NativeFrame = reader.ReadBool(); break;
                case 0x6A: ShortPath = reader.ReadString(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class WatchResult : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = sizes.StringField(Expression);
        switch (ResultCase)
        {
            case WatchResultCase.GoodResult:
                size += 1 + sizes.Message(sizes.Reserve(), ((VariableID)_result!).ComputeSize(sizes));
                break;
            case WatchResultCase.ErrorResult:
                size += 1 + sizes.String((string)_result!);
                break;
        }
        return size + ProtoSize.OptionalBool(FromMetric) + ProtoSize.EnumField((int)Source);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        writer.WriteStringField(0x0A, Expression);
        switch (ResultCase)
        {
            case WatchResultCase.GoodResult:
                writer.BeginMessage(0x12);
                ((VariableID)_result!).WriteTo(ref writer);
                break;
            case WatchResultCase.ErrorResult:
                writer.WriteOptionalString(0x1A, (string)_result!);
                break;
        }
        writer.WriteOptionalBool(0x20, FromMetric);
        writer.WriteEnumField(0x28, (int)Source);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: Expression = reader.ReadString(); break;
                case 0x12: GoodResult = (GoodResult ?? new VariableID()).MergeNested(ref reader); break;
                case 0x1A: ErrorResult = reader.ReadString(); break;
                case 0x20: FromMetric = reader.ReadBool(); break;
                case 0x28: Source = (WatchSource)reader.ReadInt32(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class Snapshot : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = 0;
        if (ID is { Length: > 0 }) size += 1 + ProtoSize.Bytes(ID);
        if (Tracepoint is not null) size += 1 + sizes.Message(sizes.Reserve(), Tracepoint.ComputeSize(sizes));
        foreach (var (key, variable) in VarLookup)
        {
            // Map entry {key = 1, value = 2}: an empty key is omitted; a message value is always written.
            var slot = sizes.Reserve();
            var entry = sizes.StringField(key);
            var valueSlot = sizes.Reserve();
            entry += 1 + sizes.Message(valueSlot, variable is null ? 0 : variable.ComputeSize(sizes));
            size += 1 + sizes.Message(slot, entry);
        }
        size += ProtoSize.Fixed64Field(TsNanos) + StackFrame.SizeOfList(Frames, sizes) + WatchResult.SizeOfList(Watches, sizes);
        size += KeyValue.SizeOfList(Attributes, sizes) + ProtoSize.UInt64Field(DurationNanos) + KeyValue.SizeOfList(Resource, sizes);
        return size + sizes.OptionalString(LogMsg);
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (ID is { Length: > 0 })
        {
            writer.WriteTag(0x0A);
            writer.WriteBytes(ID);
        }
        if (Tracepoint is not null)
        {
            writer.BeginMessage(0x12);
            Tracepoint.WriteTo(ref writer);
        }
        foreach (var (key, variable) in VarLookup)
        {
            writer.BeginMessage(0x1A);
            writer.WriteStringField(0x0A, key);
            writer.BeginMessage(0x12);
            variable?.WriteTo(ref writer);
        }
        writer.WriteFixed64Field(0x21, TsNanos);
        StackFrame.WriteList(Frames, 0x2A, ref writer);
        WatchResult.WriteList(Watches, 0x32, ref writer);
        KeyValue.WriteList(Attributes, 0x3A, ref writer);
        writer.WriteUInt64Field(0x40, DurationNanos);
        KeyValue.WriteList(Resource, 0x4A, ref writer);
        writer.WriteOptionalString(0x52, LogMsg);
    }

    internal void MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag))
        {
            switch (tag)
            {
                case 0x0A: ID = reader.ReadBytes(); break;
                case 0x12: Tracepoint = (Tracepoint ?? new TracePointConfig()).MergeNested(ref reader); break;
                case 0x1A:
                {
                    var key = "";
                    Variable? value = null;
                    var parent = reader.BeginMessage();
                    while (reader.TryReadTag(out var entryTag))
                    {
                        switch (entryTag)
                        {
                            case 0x0A: key = reader.ReadString(); break;
                            case 0x12: value = (value ?? new Variable()).MergeNested(ref reader); break;
                            default: reader.SkipField(entryTag); break;
                        }
                    }
                    reader.EndMessage(parent);
                    VarLookup[key] = value ?? new Variable();
                    break;
                }
                case 0x21: TsNanos = reader.ReadFixed64(); break;
                case 0x2A: Frames.Add(StackFrame.ReadNested(ref reader)); break;
                case 0x32: Watches.Add(WatchResult.ReadNested(ref reader)); break;
                case 0x3A: Attributes.Add(KeyValue.ReadNested(ref reader)); break;
                case 0x40: DurationNanos = reader.ReadVarint(); break;
                case 0x4A: Resource.Add(KeyValue.ReadNested(ref reader)); break;
                case 0x52: LogMsg = reader.ReadString(); break;
                default: reader.SkipField(tag); break;
            }
        }
    }
}

public sealed partial class SnapshotResponse : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => 0;
    void IProtoMessage.WriteTo(ref ProtoWriter writer) { }
    void IProtoMessage.MergeFrom(ref ProtoReader reader)
    {
        while (reader.TryReadTag(out var tag)) reader.SkipField(tag);
    }
}
