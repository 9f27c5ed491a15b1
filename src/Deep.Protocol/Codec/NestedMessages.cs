using System.Runtime.CompilerServices;

// Per-type nested-message helpers. Written out for each type rather than as generics over IProtoMessage: shared
// generic code over reference types dispatches through interfaces and creates instances through a runtime lookup,
// which costs a measurable share of decoding time.
namespace Deep.Protocol;

public sealed partial class AnyValue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static AnyValue ReadNested(ref ProtoReader reader) => new AnyValue().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal AnyValue MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<AnyValue> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<AnyValue> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class ArrayValue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ArrayValue ReadNested(ref ProtoReader reader) => new ArrayValue().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ArrayValue MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<ArrayValue> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<ArrayValue> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class KeyValueList
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static KeyValueList ReadNested(ref ProtoReader reader) => new KeyValueList().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal KeyValueList MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<KeyValueList> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<KeyValueList> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class KeyValue
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static KeyValue ReadNested(ref ProtoReader reader) => new KeyValue().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal KeyValue MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<KeyValue> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<KeyValue> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class Resource
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Resource ReadNested(ref ProtoReader reader) => new Resource().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Resource MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<Resource> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<Resource> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class TracePointConfig
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TracePointConfig ReadNested(ref ProtoReader reader) => new TracePointConfig().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal TracePointConfig MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<TracePointConfig> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<TracePointConfig> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class Metric
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Metric ReadNested(ref ProtoReader reader) => new Metric().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Metric MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<Metric> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<Metric> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class LabelExpression
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static LabelExpression ReadNested(ref ProtoReader reader) => new LabelExpression().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal LabelExpression MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<LabelExpression> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<LabelExpression> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class VariableID
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static VariableID ReadNested(ref ProtoReader reader) => new VariableID().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal VariableID MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<VariableID> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<VariableID> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class Variable
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Variable ReadNested(ref ProtoReader reader) => new Variable().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Variable MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<Variable> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<Variable> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class StackFrame
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static StackFrame ReadNested(ref ProtoReader reader) => new StackFrame().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal StackFrame MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<StackFrame> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<StackFrame> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class WatchResult
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static WatchResult ReadNested(ref ProtoReader reader) => new WatchResult().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal WatchResult MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<WatchResult> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
        return size;
    }

    internal static void WriteList(List<WatchResult> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }
}

public sealed partial class ProbeStatus
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ProbeStatus ReadNested(ref ProtoReader reader) => new ProbeStatus().MergeNested(ref reader);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ProbeStatus MergeNested(ref ProtoReader reader)
    {
        var parent = reader.BeginMessage();
        MergeFrom(ref reader);
        reader.EndMessage(parent);
        return this;
    }

    /// <summary>Sizes a repeated field of these with a one-byte tag; a null element is written as an empty message.</summary>
    internal static int SizeOfList(List<ProbeStatus> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.Message(sizes.Reserve(), item is null ? 0 : item.ComputeSize(sizes));
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
