using System.Runtime.CompilerServices;

namespace Deep.Protocol;

/// <summary>Field helpers shared by the message codecs: repeated and nested messages, repeated strings.</summary>
internal static class Codec
{
    /// <summary>Sizes a repeated message field with a one-byte tag. A null element is written as an empty message.</summary>
    public static int SizeOfMessages<T>(List<T> items, SizeCache sizes) where T : class, IProtoMessage
    {
        var size = 0;
        foreach (var item in items)
        {
            var slot = sizes.Reserve();
            size += 1 + sizes.Message(slot, item is null ? 0 : item.ComputeSize(sizes));
        }
        return size;
    }

    public static void WriteMessages<T>(List<T> items, byte tag, ref ProtoWriter writer) where T : class, IProtoMessage
    {
        foreach (var item in items)
        {
            writer.BeginMessage(tag);
            item?.WriteTo(ref writer);
        }
    }

    /// <summary>Sizes a repeated string field with a one-byte tag. A null element is written as an empty string.</summary>
    public static int SizeOfStrings(List<string> items, SizeCache sizes)
    {
        var size = 0;
        foreach (var item in items) size += 1 + sizes.String(item);
        return size;
    }

    public static void WriteStrings(List<string> items, byte tag, ref ProtoWriter writer)
    {
        foreach (var item in items)
        {
            writer.WriteTag(tag);
            writer.WriteString(item);
        }
    }

    /// <summary>Reads one length-delimited message into a new instance.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T ReadMessage<T>(ref ProtoReader reader) where T : class, IProtoMessage, new()
    {
        var message = new T();
        var parent = reader.BeginMessage();
        message.MergeFrom(ref reader);
        reader.EndMessage(parent);
        return message;
    }

    /// <summary>Reads a singular message field, merging into the value already there (protobuf's rule for repeats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MergeMessage<T>(T? existing, ref ProtoReader reader) where T : class, IProtoMessage, new()
    {
        var message = existing ?? new T();
        var parent = reader.BeginMessage();
        message.MergeFrom(ref reader);
        reader.EndMessage(parent);
        return message;
    }
}
