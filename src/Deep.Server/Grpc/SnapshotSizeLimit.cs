using System.IO.Pipelines;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Deep.Server.Grpc;

/// <summary>
/// The snapshot size limit, as DEEP servers answer it: <c>FAILED_PRECONDITION</c> with <c>SNAPSHOT_TOO_LARGE:</c>, which
/// agents read as "drop this snapshot". Grpc.AspNetCore's own <c>MaxReceiveMessageSize</c> answers RESOURCE_EXHAUSTED,
/// which agents read as "slow down" and retry; so the send method has no message limit of its own, and this endpoint
/// metadata has its request body refused as soon as it grows past one frame of the largest snapshot.
/// </summary>
internal sealed class SnapshotSizeLimit(int maxSnapshotBytes)
{
    /// <summary>gRPC's message prefix: a compressed flag and a 4-byte length.</summary>
    private const int FrameHeaderBytes = 5;

    public void Apply(HttpContext context)
    {
        var body = context.Features.GetRequiredFeature<IRequestBodyPipeFeature>();
        context.Features.Set<IRequestBodyPipeFeature>(new LimitedBody(new LimitedReader(body.Reader, maxSnapshotBytes)));
    }

    private sealed class LimitedBody(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader { get; } = reader;
    }

    /// <summary>
    /// Passes reads through, and fails the one that holds more than a frame of <c>maxSnapshotBytes</c>: a unary call's
    /// reader keeps its one message unconsumed until all of it has arrived, so the buffer is the body so far.
    /// </summary>
    private sealed class LimitedReader(PipeReader inner, int maxSnapshotBytes) : PipeReader
    {
        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
            => Check(await inner.ReadAsync(cancellationToken).ConfigureAwait(false));

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result)) return false;
            result = Check(result);
            return true;
        }

        private ReadResult Check(ReadResult result)
        {
            if (result.Buffer.Length <= (long)maxSnapshotBytes + FrameHeaderBytes) return result;
            inner.AdvanceTo(result.Buffer.End);
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"SNAPSHOT_TOO_LARGE: the snapshot is larger than the server accepts; the limit is {maxSnapshotBytes} bytes"));
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}
