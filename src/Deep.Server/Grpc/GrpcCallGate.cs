using Deep.Server.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Deep.Server.Grpc;

/// <summary>
/// Runs around every gRPC call: the API key and the tenant (<see cref="RequestGate"/>, as on the HTTP port), and the
/// statuses for failures below the services (a full disk is RESOURCE_EXHAUSTED, a failing database UNAVAILABLE).
/// </summary>
internal sealed class GrpcCallGate(RequestGate gate, ILoggerFactory loggers) : Interceptor
{
    private const string TenantKey = "deep.tenant";

    private readonly ILogger _logger = loggers.CreateLogger("Deep.Server");

    /// <summary>The caller's tenant, resolved before the service runs.</summary>
    public static string Tenant(ServerCallContext context) => (string)context.UserState[TenantKey];

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var http = context.GetHttpContext().Request;
        if (gate.CheckAuthorization(http) is { } authError) throw new RpcException(new Status(StatusCode.Unauthenticated, authError));
        context.UserState[TenantKey] = gate.ResolveTenant(http, out var tenantError)
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, tenantError!));
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 13)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "the server's storage is full (the disk, or the database size limit): " + ex.Message));
        }
        catch (SqliteException ex)
        {
            _logger.LogError(ex, "gRPC call {Method} failed in the database", context.Method);
            throw new RpcException(new Status(StatusCode.Unavailable, "the server's database failed: " + ex.Message));
        }
        catch (Exception ex) when (ex is not RpcException and not OperationCanceledException)
        {
            _logger.LogError(ex, "gRPC call {Method} failed", context.Method);
            throw new RpcException(new Status(StatusCode.Internal, "the server failed: " + ex.Message));
        }
    }
}
