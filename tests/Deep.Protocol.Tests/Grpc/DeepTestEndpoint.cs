using System.Collections.Concurrent;
using Deep.Protocol.Grpc;
using Microsoft.AspNetCore.Http;

namespace Deep.Protocol.Tests.Grpc;

/// <summary>
/// A minimal DEEP server endpoint built on <see cref="GrpcServerFraming"/>: poll answers with one tracepoint whose
/// ID echoes the request's hash; send records the snapshot. Metadata <c>x-fail</c> makes a call fail with that status.
/// </summary>
internal sealed class DeepTestEndpoint
{
    public ConcurrentQueue<Snapshot> Snapshots { get; } = new();

    public ConcurrentQueue<PollRequest> Polls { get; } = new();

    public ConcurrentQueue<IHeaderDictionary> RequestHeaders { get; } = new();

    public ConcurrentDictionary<string, int> ConnectionIds { get; } = new();

    public async Task HandleAsync(HttpContext context)
    {
        RequestHeaders.Enqueue(context.Request.Headers);
        ConnectionIds.AddOrUpdate(context.Connection.Id, 1, (_, n) => n + 1);
        context.Response.ContentType = GrpcFraming.ContentType;
        try
        {
            if (context.Request.Headers["x-fail"] is { Count: > 0 } fail)
                throw new RpcException((GrpcStatusCode)int.Parse(fail.ToString(), System.Globalization.CultureInfo.InvariantCulture), "failing as asked: ünïcödé 100%");
            byte[] response;
            switch (context.Request.Path.Value)
            {
                case DeepMethods.Poll:
                {
                    var request = await GrpcServerFraming.ReadUnaryRequestAsync<PollRequest>(context.Request.Body, cancellationToken: context.RequestAborted);
                    Polls.Enqueue(request);
                    var reply = new PollResponse { TsNanos = request.TsNanos + 1, CurrentHash = "h-" + request.CurrentHash, ResponseType = ResponseType.Update };
                    var tracepoint = new TracePointConfig { ID = "tp-" + request.CurrentHash, Path = "Program.cs", LineNumber = 42 };
                    tracepoint.Args["fire_count"] = "-1";
                    tracepoint.Watches.Add("x + 1");
                    reply.Response.Add(tracepoint);
                    response = GrpcServerFraming.FrameResponse(reply);
                    break;
                }
                case DeepMethods.SendSnapshot:
                {
                    var snapshot = await GrpcServerFraming.ReadUnaryRequestAsync<Snapshot>(context.Request.Body, cancellationToken: context.RequestAborted);
                    if (snapshot.ID.Length != 16) throw new RpcException(GrpcStatusCode.InvalidArgument, "snapshot ID must be 16 bytes");
                    Snapshots.Enqueue(snapshot);
                    response = GrpcServerFraming.FrameResponse(new SnapshotResponse());
                    break;
                }
                default:
                    throw new RpcException(GrpcStatusCode.Unimplemented, $"unknown method {context.Request.Path}");
            }
            await context.Response.Body.WriteAsync(response, context.RequestAborted);
            foreach (var (key, value) in GrpcServerFraming.StatusTrailers(GrpcStatusCode.OK)) context.Response.AppendTrailer(key, value);
        }
        catch (RpcException ex)
        {
            // Trailers-only: the status goes in the headers of an empty response.
            foreach (var (key, value) in GrpcServerFraming.StatusTrailers(ex.StatusCode, ex.Detail)) context.Response.Headers[key] = value;
        }
    }
}
