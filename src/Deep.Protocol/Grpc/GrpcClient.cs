using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;

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

    /// <summary>
    /// For <c>https://</c>: decides whether the server's certificate is accepted. Null: the platform's normal
    /// validation. Set it to trust a private CA or a self-signed server.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>The <c>user-agent</c> sent with every call.</summary>
    public string UserAgent { get; init; } = "grpc-deep-dotnet/1.0";
}

/// <summary>
/// A minimal gRPC unary client over <see cref="HttpClient"/> and HTTP/2 (h2c with prior knowledge for
/// <c>http://</c>, TLS with ALPN h2 for <c>https://</c>). Thread-safe; reuse one instance per server: calls share
/// its pooled connection. Every failure of a call surfaces as <see cref="RpcException"/>.
/// </summary>
public sealed class GrpcClient : IDisposable
{
    private static readonly MediaTypeHeaderValue s_grpcContentType = new(GrpcFraming.ContentType);

    private readonly HttpClient _http;
    private readonly GrpcClientOptions _options;

    /// <summary>Creates a client for the server at <paramref name="address"/> (<c>http://host:port</c> or <c>https://host:port</c>).</summary>
    public GrpcClient(Uri address, GrpcClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"a gRPC address must be an absolute http:// or https:// URI, not '{address}'", nameof(address));
        _options = options ?? new GrpcClientOptions();
        if (_options.ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException("ConnectTimeout must be positive", nameof(options));
        if (_options.MaxReceiveMessageSize <= 0)
            throw new ArgumentException("MaxReceiveMessageSize must be positive", nameof(options));
        Address = address;

        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            // One HTTP/2 connection multiplexes all calls; open more only when its stream limit is reached.
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        };
        if (address.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                EnabledSslProtocols = SslProtocols.None, // the platform's choice (TLS 1.2/1.3)
                RemoteCertificateValidationCallback = _options.ServerCertificateValidation,
            };
        }
        _http = new HttpClient(handler, disposeHandler: true)
        {
            // Deadlines are per call (grpc-timeout plus a local timer), never HttpClient's global timeout.
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>The server's address.</summary>
    public Uri Address { get; }

    /// <summary>Makes a unary call to <paramref name="methodPath"/> (e.g. <c>/deepproto.proto.poll.v1.PollConfig/poll</c>).</summary>
    /// <exception cref="RpcException">The call did not end with status OK: the server's status, or the status the
    /// failure maps to (UNAVAILABLE when the server cannot be reached, DEADLINE_EXCEEDED, CANCELLED, INTERNAL for a
    /// malformed response).</exception>
    public async Task<TResponse> UnaryCallAsync<TRequest, TResponse>(string methodPath, TRequest request, CallOptions? options = null, CancellationToken cancellationToken = default)
        where TRequest : class, IProtoMessage
        where TResponse : class, IProtoMessage, new()
    {
        ArgumentException.ThrowIfNullOrEmpty(methodPath);
        ArgumentNullException.ThrowIfNull(request);
        if (methodPath[0] != '/') throw new ArgumentException($"a gRPC method path starts with '/': '{methodPath}'", nameof(methodPath));

        var timeout = options?.Timeout;
        if (timeout is { } t && t <= TimeSpan.Zero)
            throw new RpcException(GrpcStatusCode.DeadlineExceeded, "the deadline had already passed when the call started");
        if (cancellationToken.IsCancellationRequested)
            throw new RpcException(GrpcStatusCode.Cancelled, "the call was cancelled before it started");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A local timer as well as grpc-timeout: the call ends on time even if the server ignores its deadline.
        // (Timers reach about 24 days; a longer deadline is left to the server.)
        if (timeout is { } limit && limit.TotalMilliseconds <= int.MaxValue - 1) deadline.CancelAfter(limit);
        try
        {
            using var message = BuildRequest(methodPath, request, options);
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            return await ReadResponseAsync<TResponse>(response, deadline.Token).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            if (cancellationToken.IsCancellationRequested) throw new RpcException(GrpcStatusCode.Cancelled, "the call was cancelled", ex);
            if (deadline.IsCancellationRequested) throw new RpcException(GrpcStatusCode.DeadlineExceeded, $"the deadline of {timeout} passed", ex);
            // Neither token: SocketsHttpHandler's ConnectTimeout.
            throw new RpcException(GrpcStatusCode.Unavailable, $"could not connect to {Address} within {_options.ConnectTimeout}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw MapTransportFailure(ex);
        }
        catch (IOException ex)
        {
            throw MapTransportFailure(ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw new RpcException(GrpcStatusCode.Cancelled, "the client was disposed", ex);
        }
        catch (Exception ex)
        {
            // Never anything but RpcException out of a call.
            throw new RpcException(GrpcStatusCode.Internal, ex.Message, ex);
        }
    }

    private HttpRequestMessage BuildRequest<TRequest>(string methodPath, TRequest request, CallOptions? options)
        where TRequest : class, IProtoMessage
    {
        // The frame header and the message in one exactly sized array: no copy between encoding and sending.
        var body = ProtoCodec.EncodeWithPrefix(request, GrpcFraming.HeaderSize);
        GrpcFraming.WriteHeader(body, body.Length - GrpcFraming.HeaderSize);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = s_grpcContentType;

        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(Address, methodPath))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = message.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        headers.TryAddWithoutValidation("user-agent", _options.UserAgent);
        if (options?.Timeout is { } timeout)
            headers.TryAddWithoutValidation("grpc-timeout", GrpcFraming.FormatTimeout(timeout));
        AddMetadata(headers, _options.DefaultHeaders);
        AddMetadata(headers, options?.Headers);
        return message;
    }

    private static void AddMetadata(HttpRequestHeaders headers, IReadOnlyList<KeyValuePair<string, string>>? metadata)
    {
        if (metadata is null) return;
        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key) || key.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) || key.StartsWith(':'))
                throw new RpcException(GrpcStatusCode.InvalidArgument, $"'{key}' cannot be sent as metadata (empty, reserved grpc- or pseudo-header)");
            if (!headers.TryAddWithoutValidation(key.ToLowerInvariant(), value))
                throw new RpcException(GrpcStatusCode.InvalidArgument, $"metadata '{key}' is not a valid header");
        }
    }

    private async Task<TResponse> ReadResponseAsync<TResponse>(HttpResponseMessage response, CancellationToken cancellationToken)
        where TResponse : class, IProtoMessage, new()
    {
        // Trailers-only: the status arrives in the headers and there is no body (the usual shape of an error).
        var headerStatus = TryGetStatus(response.Headers);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            if (headerStatus is { } s && s.Code != GrpcStatusCode.OK) throw new RpcException(s.Code, s.Message);
            throw new RpcException(MapHttpStatus(response.StatusCode), $"the server answered HTTP {(int)response.StatusCode} ({response.ReasonPhrase}) instead of a gRPC response");
        }
        if (headerStatus is { } only)
        {
            if (only.Code != GrpcStatusCode.OK) throw new RpcException(only.Code, only.Message);
            throw new RpcException(GrpcStatusCode.Internal, "the server ended the call with OK but sent no response message");
        }
        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (contentType is null || !contentType.StartsWith(GrpcFraming.ContentType, StringComparison.OrdinalIgnoreCase))
            throw new RpcException(GrpcStatusCode.Unknown, $"the response is not gRPC (content-type '{contentType}')");

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var payload = await GrpcFraming.ReadMessageAsync(stream, _options.MaxReceiveMessageSize, cancellationToken).ConfigureAwait(false);
            if (payload is not null && await GrpcFraming.ReadMessageAsync(stream, _options.MaxReceiveMessageSize, cancellationToken).ConfigureAwait(false) is not null)
                throw new RpcException(GrpcStatusCode.Internal, "the server sent more than one message for a unary call");

            // Trailers are complete once the body has been read to its end.
            var status = TryGetStatus(response.TrailingHeaders)
                ?? throw new RpcException(GrpcStatusCode.Internal, "the response ended without a grpc-status trailer");
            if (status.Code != GrpcStatusCode.OK) throw new RpcException(status.Code, status.Message);
            if (payload is null) throw new RpcException(GrpcStatusCode.Internal, "the server ended the call with OK but sent no response message");
            try
            {
                return ProtoCodec.Decode<TResponse>(payload, _options.MaxReceiveMessageSize);
            }
            catch (ProtoDecodeException ex)
            {
                throw new RpcException(GrpcStatusCode.Internal, $"the response is not a valid {typeof(TResponse).Name}: {ex.Message}", ex);
            }
        }
    }

    private readonly record struct Status(GrpcStatusCode Code, string Message);

    private static Status? TryGetStatus(HttpHeaders headers)
    {
        if (!headers.TryGetValues("grpc-status", out var values)) return null;
        var text = values.FirstOrDefault();
        var message = headers.TryGetValues("grpc-message", out var messages) ? GrpcFraming.DecodeStatusMessage(messages.FirstOrDefault()) : "";
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) || code < 0)
            return new Status(GrpcStatusCode.Unknown, $"malformed grpc-status '{text}'" + (message.Length > 0 ? ": " + message : ""));
        // Codes outside 0..16 are kept as numbers: the gRPC spec says to treat them as UNKNOWN, callers can still see them.
        return new Status(code <= 16 ? (GrpcStatusCode)code : GrpcStatusCode.Unknown, message);
    }

    /// <summary>The gRPC status for a non-200 HTTP response, per the gRPC spec's HTTP-to-gRPC status mapping.</summary>
    internal static GrpcStatusCode MapHttpStatus(HttpStatusCode status) => (int)status switch
    {
        400 => GrpcStatusCode.Internal,
        401 => GrpcStatusCode.Unauthenticated,
        403 => GrpcStatusCode.PermissionDenied,
        404 => GrpcStatusCode.Unimplemented,
        429 or 502 or 503 or 504 => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };

    private RpcException MapTransportFailure(Exception ex)
    {
        // An HTTP/2 stream reset carries an error code; the gRPC spec maps the ones that mean something.
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException protocol)
            {
                var code = protocol.ErrorCode switch
                {
                    0x7 => GrpcStatusCode.Unavailable,        // REFUSED_STREAM
                    0x8 => GrpcStatusCode.Cancelled,          // CANCEL
                    0xB => GrpcStatusCode.ResourceExhausted,  // ENHANCE_YOUR_CALM
                    0xC => GrpcStatusCode.PermissionDenied,   // INADEQUATE_SECURITY
                    _ => GrpcStatusCode.Internal,            // including HTTP_1_1_REQUIRED, as the gRPC spec maps it
                };
                var hint = protocol.ErrorCode == 0xD ? " (the server wants HTTP/1.1: this port does not serve gRPC over HTTP/2)" : "";
                return new RpcException(code, $"HTTP/2 error {protocol.ErrorCode} from {Address}{hint}: {protocol.Message}", ex);
            }
        }
        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
            return new RpcException(GrpcStatusCode.Unavailable, $"TLS connection to {Address} failed: {ex.Message}", ex);
        return new RpcException(GrpcStatusCode.Unavailable, $"{Address} is unreachable: {ex.Message}", ex);
    }

    /// <summary>Closes pooled connections.</summary>
    public void Dispose() => _http.Dispose();
}

/// <summary>The two DEEP methods' paths.</summary>
public static class DeepMethods
{
    /// <summary><c>PollConfig/poll</c>.</summary>
    public const string Poll = "/deepproto.proto.poll.v1.PollConfig/poll";

    /// <summary><c>SnapshotService/send</c>.</summary>
    public const string SendSnapshot = "/deepproto.proto.tracepoint.v1.SnapshotService/send";
}

/// <summary>A typed client for <c>deepproto.proto.poll.v1.PollConfig</c>.</summary>
/// <param name="client">The connection to the server; not owned.</param>
public sealed class PollConfigClient(GrpcClient client)
{
    /// <summary>Asks the server for this client's tracepoints.</summary>
    /// <exception cref="RpcException">The call failed.</exception>
    public Task<PollResponse> PollAsync(PollRequest request, CallOptions? options = null, CancellationToken cancellationToken = default)
        => client.UnaryCallAsync<PollRequest, PollResponse>(DeepMethods.Poll, request, options, cancellationToken);
}

/// <summary>A typed client for <c>deepproto.proto.tracepoint.v1.SnapshotService</c>.</summary>
/// <param name="client">The connection to the server; not owned.</param>
public sealed class SnapshotServiceClient(GrpcClient client)
{
    /// <summary>Sends one snapshot.</summary>
    /// <exception cref="RpcException">The call failed (e.g. RESOURCE_EXHAUSTED when rate limited).</exception>
    public Task<SnapshotResponse> SendAsync(Snapshot snapshot, CallOptions? options = null, CancellationToken cancellationToken = default)
        => client.UnaryCallAsync<Snapshot, SnapshotResponse>(DeepMethods.SendSnapshot, snapshot, options, cancellationToken);
}

/// <summary>deep-dotnet's own extension methods (package <c>deepdotnet.status.v1</c>), not part of DEEP.</summary>
public static class DeepDotnetMethods
{
    /// <summary><c>ProbeStatusService/report</c>: an agent's full set of tracepoint statuses. DEEP servers answer UNIMPLEMENTED.</summary>
    public const string ReportStatus = "/deepdotnet.status.v1.ProbeStatusService/report";
}
