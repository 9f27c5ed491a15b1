using System.CommandLine;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
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
            var grpcUrls = string.Join(", ", ReachableAt(server.GrpcAddress, options.Listen));
            var httpUrls = string.Join(", ", ReachableAt(server.HttpAddress, options.Listen).Select(u => u + "api/"));
            await o.WriteLineAsync($"deep server: agents (gRPC{(options.TlsCertPath is null ? "" : ", TLS")}) at {grpcUrls}").ConfigureAwait(false);
            await o.WriteLineAsync($"deep server: HTTP API at {httpUrls}").ConfigureAwait(false);
            if (!Deep.Server.Security.BrowserDefenses.IsLoopback(options.Listen))
            {
                await o.WriteLineAsync($"deep server: listening on {options.Listen}: reachable from other machines").ConfigureAwait(false);
                if (options.ApiKey is null)
                {
                    await console.Error.WriteLineAsync(
                        $"deep server: WARNING: listening on {options.Listen} without an API key: anyone who can reach these ports can create " +
                        "tracepoints and read every snapshot (variable values from your programs). Set --api-key or DEEP_API_KEY " +
                        "(and --tls-cert/--tls-key so the key does not cross the network in clear), or listen on 127.0.0.1.").ConfigureAwait(false);
                    await console.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
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

    /// <summary>
    /// The URLs the server can be reached at: <paramref name="address"/> itself, or for a wildcard listen (0.0.0.0,
    /// ::, *) one per address of this machine's interfaces that are up, loopback last.
    /// </summary>
    internal static IReadOnlyList<Uri> ReachableAt(Uri address, string listen)
    {
        if (listen is not ("0.0.0.0" or "*" or "::")) return [address];
        var ipv6 = listen == "::";
        var found = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback) continue;
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var ip = unicast.Address;
                    if (ip.AddressFamily == AddressFamily.InterNetwork || (ipv6 && ip.AddressFamily == AddressFamily.InterNetworkV6 && !ip.IsIPv6LinkLocal))
                        found.Add(ip);
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Without the interface list, the loopback address below is still right.
        }
        var urls = found.Where(ip => !IPAddress.IsLoopback(ip)).Distinct()
            .Select(ip => new UriBuilder(address) { Host = ip.ToString() }.Uri).ToList();
        urls.Add(address);
        return urls;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
