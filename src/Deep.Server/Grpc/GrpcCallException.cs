using Deep.Protocol.Grpc;

namespace Deep.Server.Grpc;

/// <summary>Ends a gRPC call with a status other than OK; the endpoint turns it into trailers.</summary>
internal sealed class GrpcCallException(GrpcStatusCode status, string message) : Exception(message)
{
    public GrpcStatusCode Status { get; } = status;
}
