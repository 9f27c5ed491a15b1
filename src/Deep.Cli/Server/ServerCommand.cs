using System.CommandLine;
using Deep.Cli.Common;
using Deep.Server;

namespace Deep.Cli.Server;

/// <summary><c>deep server</c>: runs the embedded DEEP server in the foreground until Ctrl-C or SIGTERM.</summary>
internal static class ServerCommand
{
    public static Command Create(Func<ICliConsole> console)
    {
        var grpcPort = new Option<int>("--grpc-port") { Description = "Port for agents (gRPC)", DefaultValueFactory = _ => DeepServerOptions.DefaultGrpcPort };
        var httpPort = new Option<int>("--http-port") { Description = "Port for the HTTP API and web UI", DefaultValueFactory = _ => DeepServerOptions.DefaultHttpPort };
        var data = new Option<string?>("--data") { Description = "Data directory (default ~/.deep)" };
        var listen = new Option<string>("--listen") { Description = "Address to bind (default 127.0.0.1, loopback only)", DefaultValueFactory = _ => "127.0.0.1" };
        var apiKey = new Option<string?>("--api-key") { Description = "Require this key on both ports (default: $DEEP_API_KEY)" };
        var multitenant = new Option<bool>("--multitenant") { Description = "Separate tenants by the x-scope-orgid header" };
        var retention = new Option<string?>("--retention") { Description = "Delete snapshots older than this, e.g. 7d, 12h" };
        var maxSnapshots = new Option<long?>("--max-snapshots") { Description = "Keep at most this many snapshots (oldest go first)" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate: serve TLS on both ports" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key for --tls-cert" };

        var command = new Command("server", "Run the embedded DEEP server in the foreground (Ctrl-C stops it).");
        foreach (var o in new Option[] { grpcPort, httpPort, data, listen, apiKey, multitenant, retention, maxSnapshots, tlsCert, tlsKey })
            command.Options.Add(o);
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new DeepServerOptions
            {
                GrpcPort = parse.GetValue(grpcPort),
                HttpPort = parse.GetValue(httpPort),
                DataDirectory = parse.GetValue(data) ?? DeepServerOptions.DefaultDataDirectory(),
                Listen = parse.GetValue(listen)!,
                ApiKey = parse.GetValue(apiKey) ?? NullIfEmpty(Environment.GetEnvironmentVariable("DEEP_API_KEY")),
                Multitenant = parse.GetValue(multitenant),
                Retention = parse.GetValue(retention) is { } r ? Durations.Parse(r, "--retention") : null,
                MaxSnapshots = parse.GetValue(maxSnapshots),
                TlsCertPath = parse.GetValue(tlsCert),
                TlsKeyPath = parse.GetValue(tlsKey),
            };
            return RunAsync(options, console(), cancellationToken);
        });
        return command;
    }

    /// <summary>Starts the server, says where it is, and runs until <paramref name="cancellationToken"/> fires.</summary>
    public static async Task<int> RunAsync(DeepServerOptions options, ICliConsole console, CancellationToken cancellationToken)
    {
        DeepServer server;
        try
        {
            server = await DeepServer.StartAsync(options, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCodes.Usage, ex.Message, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new CliException(ExitCodes.ServerFailed, "the server could not start: " + ex.Message, ex);
        }
        await using (server.ConfigureAwait(false))
        {
            var o = console.Out;
            await o.WriteLineAsync($"deep server: agents (gRPC{(options.TlsCertPath is null ? "" : ", TLS")}) at {server.GrpcAddress}").ConfigureAwait(false);
            await o.WriteLineAsync($"deep server: HTTP API at {server.HttpAddress}api/").ConfigureAwait(false);
            await o.WriteLineAsync($"deep server: data in {server.DatabasePath}").ConfigureAwait(false);
            if (options.ApiKey is not null) await o.WriteLineAsync("deep server: an API key is required on both ports").ConfigureAwait(false);
            if (options.Multitenant) await o.WriteLineAsync("deep server: multi-tenant (x-scope-orgid)").ConfigureAwait(false);
            if (options.Retention is { } r) await o.WriteLineAsync($"deep server: snapshots are kept for {r}").ConfigureAwait(false);
            if (options.MaxSnapshots is { } m) await o.WriteLineAsync($"deep server: at most {m} snapshots are kept").ConfigureAwait(false);
            await o.WriteLineAsync("deep server: ready; Ctrl-C to stop").ConfigureAwait(false);
            await o.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await o.WriteLineAsync("deep server: stopping").ConfigureAwait(false);
            }
        }
        await console.Out.WriteLineAsync("deep server: stopped").ConfigureAwait(false);
        await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
