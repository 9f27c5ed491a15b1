// SCAFFOLD: the public surface of the codec, so other parts can compile against it.
// The foundation work (issue 2) replaces the bodies with the hand-written codec.
namespace Deep.Protocol;

/// <summary>Marker for the DEEP messages that <see cref="ProtoCodec"/> can encode and decode.</summary>
public interface IProtoMessage
{
}

/// <summary>Encodes and decodes DEEP messages in the protobuf binary format.</summary>
public static class ProtoCodec
{
    /// <summary>The largest message <see cref="Decode{T}"/> accepts unless told otherwise: 16 MiB.</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    /// <summary>The protobuf encoding of <paramref name="message"/>.</summary>
    public static byte[] Encode<T>(T message) where T : class, IProtoMessage
        => throw new NotImplementedException("codec pending (issue 2)");

    /// <summary>Decodes a message. Malformed input raises <see cref="ProtoDecodeException"/> and nothing else.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> data, int maxMessageSize = DefaultMaxMessageSize)
        where T : class, IProtoMessage, new()
        => throw new NotImplementedException("codec pending (issue 2)");
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
