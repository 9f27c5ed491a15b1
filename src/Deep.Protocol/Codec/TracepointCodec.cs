// The codec of deepproto.proto.tracepoint.v1. Tags are literal bytes: (field << 3) | wire type.
namespace Deep.Protocol;

public sealed partial class TracePointConfig : IProtoMessage
{
    int IProtoMessage.ComputeSize(SizeCache sizes) => ComputeSize(sizes);
    void IProtoMessage.WriteTo(ref ProtoWriter writer) => WriteTo(ref writer);
    void IProtoMessage.MergeFrom(ref ProtoReader reader) => MergeFrom(ref reader);

    internal int ComputeSize(SizeCache sizes)
    {
        var size = 0;
        if (!string.IsNullOrEmpty(ID)) size += 1 + sizes.String(ID);
        if (!string.IsNullOrEmpty(Path)) size += 1 + sizes.String(Path);
        if (LineNumber != 0) size += 1 + ProtoSize.Varint(LineNumber);
        foreach (var (key, value) in Args)
        {
            // A map entry is a nested message {key = 1, value = 2}; like Google.Protobuf, default key/value are omitted.
            var slot = sizes.Reserve();
            var entry = 0;
            if (key.Length != 0) entry += 1 + sizes.String(key);
            if (!string.IsNullOrEmpty(value)) entry += 1 + sizes.String(value);
            size += 1 + sizes.Message(slot, entry);
        }
        size += Codec.SizeOfStrings(Watches, sizes);
        size += KeyValue.SizeOfList(Targeting, sizes);
        size += Metric.SizeOfList(Metrics, sizes);
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(ID))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(ID);
        }
        if (!string.IsNullOrEmpty(Path))
        {
            writer.WriteTag(0x12);
            writer.WriteString(Path);
        }
        if (LineNumber != 0)
        {
            writer.WriteTag(0x18);
            writer.WriteVarint(LineNumber);
        }
        foreach (var (key, value) in Args)
        {
            writer.BeginMessage(0x22);
            if (key.Length != 0)
            {
                writer.WriteTag(0x0A);
                writer.WriteString(key);
            }
            if (!string.IsNullOrEmpty(value))
            {
                writer.WriteTag(0x12);
                writer.WriteString(value);
            }
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
        var size = 0;
        if (!string.IsNullOrEmpty(Name)) size += 1 + sizes.String(Name);
        size += LabelExpression.SizeOfList(LabelExpressions, sizes);
        if (Type != 0) size += 1 + ProtoSize.Int32((int)Type);
        if (Expression is not null) size += 1 + sizes.String(Expression);
        if (Namespace is not null) size += 1 + sizes.String(Namespace);
        if (Help is not null) size += 1 + sizes.String(Help);
        if (Unit is not null) size += 1 + sizes.String(Unit);
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(Name))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(Name);
        }
        LabelExpression.WriteList(LabelExpressions, 0x12, ref writer);
        if (Type != 0)
        {
            writer.WriteTag(0x18);
            writer.WriteInt32((int)Type);
        }
        if (Expression is not null)
        {
            writer.WriteTag(0x22);
            writer.WriteString(Expression);
        }
        if (Namespace is not null)
        {
            writer.WriteTag(0x2A);
            writer.WriteString(Namespace);
        }
        if (Help is not null)
        {
            writer.WriteTag(0x32);
            writer.WriteString(Help);
        }
        if (Unit is not null)
        {
            writer.WriteTag(0x3A);
            writer.WriteString(Unit);
        }
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
        var size = 0;
        if (!string.IsNullOrEmpty(Key)) size += 1 + sizes.String(Key);
        switch (ValueCase)
        {
            case LabelExpressionValueCase.Static:
                var slot = sizes.Reserve();
                size += 1 + sizes.Message(slot, ((AnyValue)_value!).ComputeSize(sizes));
                break;
            case LabelExpressionValueCase.Expression:
                size += 1 + sizes.String((string)_value!);
                break;
        }
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(Key))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(Key);
        }
        switch (ValueCase)
        {
            case LabelExpressionValueCase.Static:
                writer.BeginMessage(0x12);
                ((AnyValue)_value!).WriteTo(ref writer);
                break;
            case LabelExpressionValueCase.Expression:
                writer.WriteTag(0x1A);
                writer.WriteString((string)_value!);
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
        var size = 0;
        if (!string.IsNullOrEmpty(ID)) size += 1 + sizes.String(ID);
        if (!string.IsNullOrEmpty(Name)) size += 1 + sizes.String(Name);
        if (Modifiers.Count != 0) size += Codec.SizeOfStrings(Modifiers, sizes);
        if (OriginalName is not null) size += 1 + sizes.String(OriginalName);
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(ID))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(ID);
        }
        if (!string.IsNullOrEmpty(Name))
        {
            writer.WriteTag(0x12);
            writer.WriteString(Name);
        }
        if (Modifiers.Count != 0) Codec.WriteStrings(Modifiers, 0x1A, ref writer);
        if (OriginalName is not null)
        {
            writer.WriteTag(0x22);
            writer.WriteString(OriginalName);
        }
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
        var size = 0;
        if (!string.IsNullOrEmpty(Type)) size += 1 + sizes.String(Type);
        if (!string.IsNullOrEmpty(Value)) size += 1 + sizes.String(Value);
        if (!string.IsNullOrEmpty(Hash)) size += 1 + sizes.String(Hash);
        foreach (var child in Children)
        {
            var slot = sizes.Reserve();
            size += 1 + sizes.Message(slot, child is null ? 0 : child.ComputeSize(sizes));
        }
        if (Truncated is not null) size += 2;
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(Type))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(Type);
        }
        if (!string.IsNullOrEmpty(Value))
        {
            writer.WriteTag(0x12);
            writer.WriteString(Value);
        }
        if (!string.IsNullOrEmpty(Hash))
        {
            writer.WriteTag(0x1A);
            writer.WriteString(Hash);
        }
        foreach (var child in Children)
        {
            writer.BeginMessage(0x22);
            child?.WriteTo(ref writer);
        }
        if (Truncated is { } truncated)
        {
            writer.WriteTag(0x28);
            writer.WriteBool(truncated);
        }
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
                case 0x22:
                {
                    var child = new VariableID();
                    var parent = reader.BeginMessage();
                    child.MergeFrom(ref reader);
                    reader.EndMessage(parent);
                    Children.Add(child);
                    break;
                }
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
        var size = 0;
        if (!string.IsNullOrEmpty(FileName)) size += 1 + sizes.String(FileName);
        if (!string.IsNullOrEmpty(MethodName)) size += 1 + sizes.String(MethodName);
        if (LineNumber != 0) size += 1 + ProtoSize.Varint(LineNumber);
        if (ClassName is not null) size += 1 + sizes.String(ClassName);
        if (IsAsync is not null) size += 2;
        if (ColumnNumber is { } column) size += 1 + ProtoSize.Varint(column);
        if (TranspiledFileName is not null) size += 1 + sizes.String(TranspiledFileName);
        if (TranspiledLineNumber is { } tline) size += 1 + ProtoSize.Varint(tline);
        if (TranspiledColumnNumber is { } tcolumn) size += 1 + ProtoSize.Varint(tcolumn);
        foreach (var variable in Variables)
        {
            var slot = sizes.Reserve();
            size += 1 + sizes.Message(slot, variable is null ? 0 : variable.ComputeSize(sizes));
        }
        if (AppFrame is not null) size += 2;
        if (NativeFrame is not null) size += 2;
        if (ShortPath is not null) size += 1 + sizes.String(ShortPath);
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(FileName))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(FileName);
        }
        if (!string.IsNullOrEmpty(MethodName))
        {
            writer.WriteTag(0x12);
            writer.WriteString(MethodName);
        }
        if (LineNumber != 0)
        {
            writer.WriteTag(0x18);
            writer.WriteVarint(LineNumber);
        }
        if (ClassName is not null)
        {
            writer.WriteTag(0x22);
            writer.WriteString(ClassName);
        }
        if (IsAsync is { } isAsync)
        {
            writer.WriteTag(0x28);
            writer.WriteBool(isAsync);
        }
        if (ColumnNumber is { } column)
        {
            writer.WriteTag(0x30);
            writer.WriteVarint(column);
        }
        if (TranspiledFileName is not null)
        {
            writer.WriteTag(0x3A);
            writer.WriteString(TranspiledFileName);
        }
        if (TranspiledLineNumber is { } tline)
        {
            writer.WriteTag(0x40);
            writer.WriteVarint(tline);
        }
        if (TranspiledColumnNumber is { } tcolumn)
        {
            writer.WriteTag(0x48);
            writer.WriteVarint(tcolumn);
        }
        foreach (var variable in Variables)
        {
            writer.BeginMessage(0x52);
            variable?.WriteTo(ref writer);
        }
        if (AppFrame is { } appFrame)
        {
            writer.WriteTag(0x58);
            writer.WriteBool(appFrame);
        }
        if (NativeFrame is { } nativeFrame)
        {
            writer.WriteTag(0x60);
            writer.WriteBool(nativeFrame);
        }
        if (ShortPath is not null)
        {
            writer.WriteTag(0x6A);
            writer.WriteString(ShortPath);
        }
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
                case 0x52:
                {
                    var variable = new VariableID();
                    var parent = reader.BeginMessage();
                    variable.MergeFrom(ref reader);
                    reader.EndMessage(parent);
                    Variables.Add(variable);
                    break;
                }
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
        var size = 0;
        if (!string.IsNullOrEmpty(Expression)) size += 1 + sizes.String(Expression);
        switch (ResultCase)
        {
            case WatchResultCase.GoodResult:
                var slot = sizes.Reserve();
                size += 1 + sizes.Message(slot, ((VariableID)_result!).ComputeSize(sizes));
                break;
            case WatchResultCase.ErrorResult:
                size += 1 + sizes.String((string)_result!);
                break;
        }
        if (FromMetric is not null) size += 2;
        if (Source != 0) size += 1 + ProtoSize.Int32((int)Source);
        return size;
    }

    internal void WriteTo(ref ProtoWriter writer)
    {
        if (!string.IsNullOrEmpty(Expression))
        {
            writer.WriteTag(0x0A);
            writer.WriteString(Expression);
        }
        switch (ResultCase)
        {
            case WatchResultCase.GoodResult:
                writer.BeginMessage(0x12);
                ((VariableID)_result!).WriteTo(ref writer);
                break;
            case WatchResultCase.ErrorResult:
                writer.WriteTag(0x1A);
                writer.WriteString((string)_result!);
                break;
        }
        if (FromMetric is { } fromMetric)
        {
            writer.WriteTag(0x20);
            writer.WriteBool(fromMetric);
        }
        if (Source != 0)
        {
            writer.WriteTag(0x28);
            writer.WriteInt32((int)Source);
        }
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
        if (Tracepoint is not null)
        {
            var slot = sizes.Reserve();
            size += 1 + sizes.Message(slot, Tracepoint.ComputeSize(sizes));
        }
        foreach (var (key, variable) in VarLookup)
        {
            // Map entry {key = 1, value = 2}: an empty key is omitted; a message value is always written.
            var slot = sizes.Reserve();
            var entry = 0;
            if (key.Length != 0) entry += 1 + sizes.String(key);
            var valueSlot = sizes.Reserve();
            entry += 1 + sizes.Message(valueSlot, variable is null ? 0 : variable.ComputeSize(sizes));
            size += 1 + sizes.Message(slot, entry);
        }
        if (TsNanos != 0) size += 9;
        size += StackFrame.SizeOfList(Frames, sizes);
        size += WatchResult.SizeOfList(Watches, sizes);
        size += KeyValue.SizeOfList(Attributes, sizes);
        if (DurationNanos != 0) size += 1 + ProtoSize.Varint(DurationNanos);
        size += KeyValue.SizeOfList(Resource, sizes);
        if (LogMsg is not null) size += 1 + sizes.String(LogMsg);
        return size;
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
            if (key.Length != 0)
            {
                writer.WriteTag(0x0A);
                writer.WriteString(key);
            }
            writer.BeginMessage(0x12);
            variable?.WriteTo(ref writer);
        }
        if (TsNanos != 0)
        {
            writer.WriteTag(0x21);
            writer.WriteFixed64(TsNanos);
        }
        StackFrame.WriteList(Frames, 0x2A, ref writer);
        WatchResult.WriteList(Watches, 0x32, ref writer);
        KeyValue.WriteList(Attributes, 0x3A, ref writer);
        if (DurationNanos != 0)
        {
            writer.WriteTag(0x40);
            writer.WriteVarint(DurationNanos);
        }
        KeyValue.WriteList(Resource, 0x4A, ref writer);
        if (LogMsg is not null)
        {
            writer.WriteTag(0x52);
            writer.WriteString(LogMsg);
        }
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
                            case 0x12:
                            {
                                value ??= new Variable();
                                var entryParent = reader.BeginMessage();
                                value.MergeFrom(ref reader);
                                reader.EndMessage(entryParent);
                                break;
                            }
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
