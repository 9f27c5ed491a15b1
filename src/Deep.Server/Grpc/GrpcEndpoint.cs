using System.Buffers.Binary;
using System.Globalization;
using Deep.Protocol.Grpc;
using Deep.Server.Polling;
using Deep.Server.Security;
using Deep.Server.Storage;
using Deepdotnet.Status.V1;
using Deepproto.Proto.Poll.V1;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Deep.Server.Grpc;

/// <summary>
/// The two DEEP gRPC methods (and deep-dotnet's probe status extension) on Kestrel, without a gRPC library: read one length-prefixed message, decode it, answer
/// with one framed message and <c>grpc-status</c> trailers, or with a trailers-only error.
/// </summary>
internal sealed class GrpcEndpoint(
    PollService polls,
    SnapshotWriter writer,
    ProbeStatusStore statuses,
    RequestGate gate,
    DeepServerOptions options,
    CancellationToken serverStopping,
    ILogger logger)
{
    /// <summary>Request header by which a client asks for a long poll: how many seconds the server may hold the answer.</summary>
    public const string LongPollHeader = "deep-long-poll";

    /// <summary>The largest poll request accepted.</summary>
    private const int MaxPollRequestBytes = 4 * 1024 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (request.ContentType is not { } contentType || !contentType.StartsWith(GrpcFraming.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        TimeSpan? timeout = null;
        if (request.Headers.TryGetValue("grpc-timeout", out var timeoutHeader))
        {
            if (!GrpcFraming.TryParseTimeout(timeoutHeader.ToString(), out var parsed))
            {
                WriteTrailersOnly(context, GrpcStatusCode.Internal, $"malformed grpc-timeout '{timeoutHeader}'");
                return;
            }
            timeout = parsed;
            deadline.CancelAfter(parsed);
        }

        try
        {
            if (gate.CheckAuthorization(request) is { } authError) throw new GrpcCallException(GrpcStatusCode.Unauthenticated, authError);
            var tenant = gate.ResolveTenant(request, out var tenantError)
                ?? throw new GrpcCallException(GrpcStatusCode.Unauthenticated, tenantError!);
            IMessage response = request.Path.Value switch
            {
                DeepMethods.Poll => await PollAsync(context, tenant, timeout, deadline.Token).ConfigureAwait(false),
                DeepMethods.SendSnapshot => await SendAsync(context, tenant, deadline.Token).ConfigureAwait(false),
                DeepDotnetMethods.ReportStatus => await ReportStatusAsync(context, tenant, deadline.Token).ConfigureAwait(false),
                _ => throw new GrpcCallException(GrpcStatusCode.Unimplemented, $"unknown method {request.Path.Value}: this server implements {DeepMethods.Poll}, {DeepMethods.SendSnapshot} and {DeepDotnetMethods.ReportStatus}"),
            };
            await WriteResponseAsync(context, response).ConfigureAwait(false);
        }
        catch (GrpcCallException ex)
        {
            WriteTrailersOnly(context, ex.Status, ex.Message);
        }
        catch (RpcException ex)
        {
            WriteTrailersOnly(context, ex.StatusCode, ex.Detail);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own body limit (a request over MaxRequestBodySize) comes before the gRPC frame's length is read:
            // answer it as the refusal it is, so an agent drops that snapshot instead of retrying it.
            WriteTrailersOnly(context, GrpcStatusCode.FailedPrecondition, request.Path.Value == DeepMethods.SendSnapshot
                ? $"SNAPSHOT_TOO_LARGE: the request is larger than the server accepts ({ex.Message})"
                : "the request is larger than the server accepts: " + ex.Message);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex) when (ex.SqliteErrorCode == 13)
        {
            WriteTrailersOnly(context, GrpcStatusCode.ResourceExhausted, "the server's storage is full (the disk, or the database size limit): " + ex.Message);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            logger.LogError(ex, "gRPC call {Path} failed in the database", request.Path.Value);
            WriteTrailersOnly(context, GrpcStatusCode.Unavailable, "the server's database failed: " + ex.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            WriteTrailersOnly(context, GrpcStatusCode.DeadlineExceeded, "the call's grpc-timeout passed");
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "gRPC call {Path} failed", request.Path.Value);
            WriteTrailersOnly(context, GrpcStatusCode.Internal, "the server failed: " + ex.Message);
        }
    }

    private async Task<IMessage> PollAsync(HttpContext context, string tenant, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var body = await ReadMessageAsync(context.Request.Body, MaxPollRequestBytes, tooLarge: null, cancellationToken).ConfigureAwait(false);
        var request = Decode(PollRequest.Parser, body, "PollRequest");

        var holdFor = TimeSpan.Zero;
        if (context.Request.Headers.TryGetValue(LongPollHeader, out var longPoll))
        {
            if (!double.TryParse(longPoll.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0 || double.IsNaN(seconds))
                throw new GrpcCallException(GrpcStatusCode.InvalidArgument, $"the {LongPollHeader} header must be a number of seconds, not '{longPoll}'");
            holdFor = TimeSpan.FromSeconds(Math.Min(seconds, options.MaxLongPoll.TotalSeconds));
            if (timeout is { } t)
            {
                // Answer before the client's deadline so it gets NO_CHANGE rather than DEADLINE_EXCEEDED.
                var margin = TimeSpan.FromTicks(Math.Max(t.Ticks / 10, TimeSpan.FromMilliseconds(200).Ticks));
                var allowed = t - margin;
                if (allowed < holdFor) holdFor = allowed > TimeSpan.Zero ? allowed : TimeSpan.Zero;
            }
        }

        using var hold = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, serverStopping);
        var resource = request.Resource?.Attributes;
        var response = await polls.PollAsync(tenant, request.CurrentHash, resource, holdFor, hold.Token).ConfigureAwait(false);
        context.RequestAborted.ThrowIfCancellationRequested();
        return response;
    }

    private async Task<IMessage> SendAsync(HttpContext context, string tenant, CancellationToken cancellationToken)
    {
        var limit = options.MaxSnapshotBytes;
        var body = await ReadMessageAsync(context.Request.Body, limit,
            tooLarge: length => new GrpcCallException(GrpcStatusCode.FailedPrecondition,
                $"SNAPSHOT_TOO_LARGE: the snapshot is {length} bytes; the limit is {limit} bytes"),
            cancellationToken).ConfigureAwait(false);
        var snapshot = Decode(Snapshot.Parser, body, "Snapshot");
        if (snapshot.ID.Length != 16)
            throw new GrpcCallException(GrpcStatusCode.InvalidArgument, $"the snapshot ID must be exactly 16 bytes, not {snapshot.ID.Length}");
        try
        {
            await writer.WriteAsync(SnapshotRecord.From(tenant, snapshot, body), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new GrpcCallException(GrpcStatusCode.Unavailable, ex.Message);
        }
        return new SnapshotResponse();
    }

    private async Task<IMessage> ReportStatusAsync(HttpContext context, string tenant, CancellationToken cancellationToken)
    {
        var body = await ReadMessageAsync(context.Request.Body, MaxPollRequestBytes, tooLarge: null, cancellationToken).ConfigureAwait(false);
        var report = Decode(ProbeStatusReport.Parser, body, "ProbeStatusReport");
        if (string.IsNullOrEmpty(report.AgentId))
            throw new GrpcCallException(GrpcStatusCode.InvalidArgument, "the status report has no agent_id: each agent process sends a random id of its own");
        // SQLite work is synchronous and short (one transaction); the request thread may do it.
        try
        {
            statuses.Replace(tenant, report, Deep.Protocol.UnixNanos.Now());
        }
        catch (StatusLimitException ex)
        {
            throw new GrpcCallException(GrpcStatusCode.ResourceExhausted, ex.Message);
        }
        return new ProbeStatusAck();
    }

    private static T Decode<T>(MessageParser<T> parser, byte[] body, string name) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new GrpcCallException(GrpcStatusCode.InvalidArgument, $"the request is not a valid {name} message: {ex.Message}");
        }
    }

    /// <summary>Reads exactly one framed message (a second one is refused: both methods are unary).</summary>
    private static async Task<byte[]> ReadMessageAsync(Stream body, int limit, Func<uint, GrpcCallException>? tooLarge, CancellationToken cancellationToken)
    {
        var header = new byte[GrpcFraming.HeaderSize];
        var got = await ReadFullyAsync(body, header, cancellationToken).ConfigureAwait(false);
        if (got == 0) throw new GrpcCallException(GrpcStatusCode.Internal, "the request has no message: a unary call sends exactly one");
        if (got < header.Length) throw new GrpcCallException(GrpcStatusCode.Internal, $"the gRPC frame header was cut short after {got} of 5 bytes");
        if (header[0] != 0) throw new GrpcCallException(GrpcStatusCode.Unimplemented, "compressed messages are not supported; send with the identity encoding");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > (uint)limit)
            throw tooLarge?.Invoke(length) ?? new GrpcCallException(GrpcStatusCode.ResourceExhausted, $"the message is {length} bytes; the limit is {limit} bytes");
        var message = new byte[length];
        got = await ReadFullyAsync(body, message, cancellationToken).ConfigureAwait(false);
        if (got < message.Length) throw new GrpcCallException(GrpcStatusCode.Internal, $"the message was cut short after {got} of {length} bytes");
        if (await ReadFullyAsync(body, new byte[1], cancellationToken).ConfigureAwait(false) != 0)
            throw new GrpcCallException(GrpcStatusCode.Internal, "more than one message in a unary call");
        return message;
    }

    private static async Task<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static async Task WriteResponseAsync(HttpContext context, IMessage message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcFraming.ContentType;
        var size = message.CalculateSize();
        var framed = new byte[GrpcFraming.HeaderSize + size];
        GrpcFraming.WriteHeader(framed, size);
        message.WriteTo(framed.AsSpan(GrpcFraming.HeaderSize));
        await response.Body.WriteAsync(framed, context.RequestAborted).ConfigureAwait(false);
        response.AppendTrailer("grpc-status", "0");
    }

    private static void WriteTrailersOnly(HttpContext context, GrpcStatusCode status, string message)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            response.AppendTrailer("grpc-status", ((int)status).ToString(CultureInfo.InvariantCulture));
            response.AppendTrailer("grpc-message", GrpcFraming.EncodeStatusMessage(message));
            return;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcFraming.ContentType;
        response.Headers["grpc-status"] = ((int)status).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = GrpcFraming.EncodeStatusMessage(message);
    }
}
