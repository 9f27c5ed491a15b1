using System.Globalization;
using Deep.Protocol.Grpc;

namespace Deep.Protocol.Tests.Grpc;

/// <summary>
/// Test infrastructure: the server's half of gRPC unary framing over our codec, so the client's tests control every
/// byte a server answers (<see cref="DeepTestEndpoint"/>). The real server runs on Grpc.AspNetCore (Deep.Server).
/// </summary>
internal static class GrpcServerFraming
{
    /// <summary>The trailer (or trailers-only header) carrying the status code.</summary>
    public const string StatusHeader = "grpc-status";

    /// <summary>The trailer (or trailers-only header) carrying the percent-encoded status message.</summary>
    public const string MessageHeader = "grpc-message";

    /// <summary>
    /// Reads the single request message of a unary call. A missing, cut-short, compressed, oversized or second
    /// message, or one that does not decode, raises <see cref="RpcException"/> with the status to answer with.
    /// </summary>
    public static async ValueTask<TRequest> ReadUnaryRequestAsync<TRequest>(Stream body, int maxMessageSize = ProtoCodec.DefaultMaxMessageSize, CancellationToken cancellationToken = default)
        where TRequest : class, IProtoMessage, new()
    {
        ArgumentNullException.ThrowIfNull(body);
        var payload = await GrpcFraming.ReadMessageAsync(body, maxMessageSize, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(GrpcStatusCode.Internal, "the request has no message: a unary call sends exactly one");
        if (await GrpcFraming.ReadMessageAsync(body, maxMessageSize, cancellationToken).ConfigureAwait(false) is not null)
            throw new RpcException(GrpcStatusCode.Internal, "the request has more than one message: a unary call sends exactly one");
        try
        {
            return ProtoCodec.Decode<TRequest>(payload, maxMessageSize);
        }
        catch (ProtoDecodeException ex)
        {
            throw new RpcException(GrpcStatusCode.InvalidArgument, $"the request is not a valid {typeof(TRequest).Name}: {ex.Message}", ex);
        }
    }

    /// <summary>The response message with its 5-byte frame header, in one array.</summary>
    public static byte[] FrameResponse<TResponse>(TResponse response) where TResponse : class, IProtoMessage
    {
        var framed = ProtoCodec.EncodeWithPrefix(response, GrpcFraming.HeaderSize);
        GrpcFraming.WriteHeader(framed, framed.Length - GrpcFraming.HeaderSize);
        return framed;
    }

    /// <summary>
    /// The trailers that end a call: <c>grpc-status</c>, and <c>grpc-message</c> (percent-encoded) when there is a
    /// message. Sent as trailers after the response, or as the headers of a trailers-only error response.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> StatusTrailers(GrpcStatusCode code, string? message = null)
    {
        var status = ((int)code).ToString(CultureInfo.InvariantCulture);
        return string.IsNullOrEmpty(message)
            ? [new(StatusHeader, status)]
            : [new(StatusHeader, status), new(MessageHeader, GrpcFraming.EncodeStatusMessage(message))];
    }
}
