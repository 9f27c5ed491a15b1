using Deep.Server.Storage;
using Deepdotnet.Status.V1;
using Grpc.Core;

namespace Deep.Server.Grpc;

/// <summary><c>ProbeStatusService/report</c> (deep-dotnet's extension): replaces everything known from that agent.</summary>
internal sealed class ProbeStatusServiceHandler(ProbeStatusStore statuses) : ProbeStatusService.ProbeStatusServiceBase
{
    private static readonly ProbeStatusAck s_acknowledged = new();

    public override Task<ProbeStatusAck> report(ProbeStatusReport request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.AgentId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the status report has no agent_id: each agent process sends a random id of its own"));
        // SQLite work is synchronous and short (one transaction); the request thread may do it.
        try
        {
            statuses.Replace(GrpcCallGate.Tenant(context), request, Deep.Protocol.UnixNanos.Now());
        }
        catch (StatusLimitException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }
        return Task.FromResult(s_acknowledged);
    }
}
