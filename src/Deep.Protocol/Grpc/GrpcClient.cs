// SCAFFOLD: the public surface of the gRPC client, so other parts can compile against it.
// The foundation work (issue 2) replaces the bodies.
namespace Deep.Protocol.Grpc;

/// <summary>Per-call options: deadline and metadata.</summary>
public sealed class CallOptions
{
    /// <summary>How long the call may take; sent as <c>grpc-timeout</c> and enforced locally. Null: no deadline.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Extra metadata sent as request headers (e.g. <c>authorization</c>, <c>x-scope-orgid</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }
}

/// <summary>Options for a <see cref="GrpcClient"/>.</summary>
public sealed class GrpcClientOptions
{
    /// <summary>Metadata sent with every call (added before per-call headers).</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? DefaultHeaders { get; init; }

    /// <summary>Largest response message accepted.</summary>
    public int MaxReceiveMessageSize { get; init; } = ProtoCodec.DefaultMaxMessageSize;

    /// <summary>How long to wait for a TCP connection before the call fails with UNAVAILABLE.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// A minimal gRPC unary client over <see cref="HttpClient"/> and HTTP/2 (h2c with prior knowledge for
/// <c>http://</c>, TLS with ALPN h2 for <c>https://</c>). Thread-safe; reuse one instance per server.
/// Every failure surfaces as <see cref="RpcException"/>.
/// </summary>
public sealed class GrpcClient : IDisposable
{
    /// <summary>Creates a client for the server at <paramref name="address"/>.</summary>
    public GrpcClient(Uri address, GrpcClientOptions? options = null) => throw new NotImplementedException("gRPC client pending (issue 2)");

    /// <summary>The server's address.</summary>
    public Uri Address => throw new NotImplementedException();

    /// <summary>Makes a unary call to <paramref name="methodPath"/> (e.g. <c>/deepproto.proto.poll.v1.PollConfig/poll</c>).</summary>
    public Task<TResponse> UnaryCallAsync<TRequest, TResponse>(string methodPath, TRequest request, CallOptions? options = null, CancellationToken cancellationToken = default)
        where TRequest : class, IProtoMessage
        where TResponse : class, IProtoMessage, new()
        => throw new NotImplementedException("gRPC client pending (issue 2)");

    /// <summary>Closes pooled connections.</summary>
    public void Dispose() { }
}

/// <summary>The two DEEP methods' paths.</summary>
public static class DeepMethods
{
    /// <summary><c>PollConfig/poll</c>.</summary>
    public const string Poll = "/deepproto.proto.poll.v1.PollConfig/poll";

    /// <summary><c>SnapshotService/send</c>.</summary>
    public const string SendSnapshot = "/deepproto.proto.tracepoint.v1.SnapshotService/send";
}
