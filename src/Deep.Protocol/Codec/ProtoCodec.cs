namespace Deep.Protocol;

/// <summary>A DEEP message that <see cref="ProtoCodec"/> can encode and decode. Only this library implements it.</summary>
public interface IProtoMessage
{
    /// <summary>Sizing pass: this message's content size; records nested sizes in writing order.</summary>
    internal int ComputeSize(SizeCache sizes);

    /// <summary>Writing pass: this message's fields, using the sizes recorded by <see cref="ComputeSize"/>.</summary>
    internal void WriteTo(ref ProtoWriter writer);

    /// <summary>Reads fields into this message until the reader's current limit.</summary>
    internal void MergeFrom(ref ProtoReader reader);
}

/// <summary>
/// Encodes and decodes DEEP messages in the protobuf binary format, byte for byte as Google.Protobuf does
/// (fields in number order, proto3 defaults omitted, explicit-presence fields written when set).
/// </summary>
public static class ProtoCodec
{
    /// <summary>The largest message <see cref="Decode{T}"/> accepts unless told otherwise: 16 MiB.</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>The protobuf encoding of <paramref name="message"/>, in one exactly sized array.</summary>
    public static byte[] Encode<T>(T message) where T : class, IProtoMessage
        => EncodeWithPrefix(message, 0);

    /// <summary>The size in bytes of <paramref name="message"/>'s encoding.</summary>
    public static int CalculateSize<T>(T message) where T : class, IProtoMessage
    {
        ArgumentNullException.ThrowIfNull(message);
        var sizes = SizeCache.Rent();
        try
        {
            return message.ComputeSize(sizes);
        }
        finally
        {
            SizeCache.Return(sizes);
        }
    }

    /// <summary>
    /// The encoding of <paramref name="message"/> after <paramref name="prefixLength"/> zeroed bytes the caller
    /// fills in (the gRPC frame header), so framing needs no second copy.
    /// </summary>
    internal static byte[] EncodeWithPrefix<T>(T message, int prefixLength) where T : class, IProtoMessage
    {
        ArgumentNullException.ThrowIfNull(message);
        var sizes = SizeCache.Rent();
        try
        {
            var size = message.ComputeSize(sizes);
            var result = GC.AllocateUninitializedArray<byte>(prefixLength + size);
            result.AsSpan(0, prefixLength).Clear();
            var writer = new ProtoWriter(result.AsSpan(prefixLength), sizes);
            message.WriteTo(ref writer);
            if (writer.Position != size)
                throw new InvalidOperationException($"the message changed while it was being encoded ({writer.Position} of {size} bytes written)");
            return result;
        }
        finally
        {
            SizeCache.Return(sizes);
        }
    }

    /// <summary>Decodes a message. Malformed input raises <see cref="ProtoDecodeException"/> and nothing else.</summary>
    /// <param name="data">The encoded message.</param>
    /// <param name="maxMessageSize">Input longer than this is rejected before anything is read.</param>
    public static T Decode<T>(ReadOnlySpan<byte> data, int maxMessageSize = DefaultMaxMessageSize)
        where T : class, IProtoMessage, new()
    {
        if (data.Length > maxMessageSize)
            throw new ProtoDecodeException(0, $"message of {data.Length} bytes exceeds the limit of {maxMessageSize} bytes");
        var message = new T();
        var reader = new ProtoReader(data);
        message.MergeFrom(ref reader);
        return message;
    }
}

/// <summary>The one exception malformed protobuf input produces: where it went wrong and why.</summary>
public sealed class ProtoDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProtoDecodeException(long offset, string reason)
        : base($"malformed protobuf at byte {offset}: {reason}")
    {
        Offset = offset;
        Reason = reason;
    }

    /// <summary>The byte offset in the input where decoding failed.</summary>
    public long Offset { get; }

    /// <summary>What was wrong.</summary>
    public string Reason { get; }
}
