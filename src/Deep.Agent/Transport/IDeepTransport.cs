using System.Text;
using Deep.Agent.Settings;
using Deep.Protocol;
using Deep.Protocol.Grpc;

namespace Deep.Agent.Transport;

/// <summary>The two DEEP calls the agent makes. Failures surface as <see cref="RpcException"/>.</summary>
internal interface IDeepTransport : IDisposable
{
    /// <summary>PollConfig/poll; <paramref name="longPoll"/> asks a server that supports it to hold the answer.</summary>
    Task<PollResponse> PollAsync(PollRequest request, TimeSpan? longPoll, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>SnapshotService/send.</summary>
    Task SendAsync(Snapshot snapshot, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// deep-dotnet's ProbeStatusService/report (not DEEP). A transport that cannot make it answers UNIMPLEMENTED,
    /// as a DEEP server does, and the agent stops reporting.
    /// </summary>
    Task ReportStatusAsync(ProbeStatusReport report, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromException(new RpcException(GrpcStatusCode.Unimplemented, "this transport does not report probe status"));
}

/// <summary>The DEEP calls over our gRPC client, with the configured auth and extra metadata.</summary>
internal sealed class GrpcDeepTransport : IDeepTransport
{
    /// <summary>The header that asks our server to hold a poll until the tracepoints change (seconds).</summary>
    public const string LongPollHeader = "deep-long-poll";

    private readonly GrpcClient _client;

    public GrpcDeepTransport(AgentSettings settings)
    {
        _client = new GrpcClient(settings.ServiceUrl, new GrpcClientOptions { DefaultHeaders = Metadata(settings) });
    }

    internal static List<KeyValuePair<string, string>> Metadata(AgentSettings settings)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (string.Equals(settings.AuthProvider, "basic", StringComparison.OrdinalIgnoreCase)
            || (settings.AuthProvider is null && settings.Username is not null))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password}"));
            headers.Add(new("authorization", $"Basic {token}"));
        }
        foreach (var (k, v) in settings.Headers) headers.Add(new(k.ToLowerInvariant(), v));
        return headers;
    }

    public Task<PollResponse> PollAsync(PollRequest request, TimeSpan? longPoll, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var options = new CallOptions
        {
            Timeout = timeout,
            Headers = longPoll is { } lp
                ? [new(LongPollHeader, ((int)Math.Ceiling(lp.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture))]
                : null,
        };
        return _client.UnaryCallAsync<PollRequest, PollResponse>(DeepMethods.Poll, request, options, cancellationToken);
    }

    public Task SendAsync(Snapshot snapshot, TimeSpan timeout, CancellationToken cancellationToken) =>
        _client.UnaryCallAsync<Snapshot, SnapshotResponse>(DeepMethods.SendSnapshot, snapshot, new CallOptions { Timeout = timeout }, cancellationToken);

    public Task ReportStatusAsync(ProbeStatusReport report, TimeSpan timeout, CancellationToken cancellationToken) =>
        _client.UnaryCallAsync<ProbeStatusReport, ProbeStatusAck>(DeepDotnetMethods.ReportStatus, report, new CallOptions { Timeout = timeout }, cancellationToken);

    public void Dispose() => _client.Dispose();
}
