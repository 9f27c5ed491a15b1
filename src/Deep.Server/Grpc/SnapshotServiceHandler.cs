using Deep.Server.Storage;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Deep.Server.Grpc;

/// <summary>
/// <c>SnapshotService/send</c>: stores the snapshot and acknowledges it once committed. The size limit is applied to
/// the request body before this runs (<see cref="SnapshotSizeLimit"/>).
/// </summary>
internal sealed class SnapshotServiceHandler(SnapshotWriter writer) : SnapshotService.SnapshotServiceBase
{
    private static readonly SnapshotResponse s_acknowledged = new();

    public override async Task<SnapshotResponse> send(Snapshot request, ServerCallContext context)
    {
        if (request.ID.Length != 16)
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the snapshot ID must be exactly 16 bytes, not {request.ID.Length}"));
        try
        {
            // Stored as protobuf: what was decoded, encoded again (the same bytes for any encoder that writes fields in order).
            await writer.WriteAsync(SnapshotRecord.From(GrpcCallGate.Tenant(context), request, request.ToByteArray()), context.CancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            // The writer is closed: the server is stopping.
            throw new RpcException(new Status(StatusCode.Unavailable, ex.Message));
        }
        return s_acknowledged;
    }
}
