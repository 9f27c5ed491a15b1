using System.Net;
using System.Security.Cryptography.X509Certificates;
using Deep.Server.Api;
using Deep.Server.Grpc;
using Deep.Server.Polling;
using Deep.Server.Security;
using Deep.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Deep.Server;

/// <summary>
/// The embedded DEEP server: the agent-facing gRPC port (polls and snapshots) and the HTTP API port, over one SQLite
/// database. Start it with <see cref="StartAsync"/>; dispose it to stop (in-flight sends are committed first).
/// </summary>
public sealed class DeepServer : IAsyncDisposable
{
    private const string GrpcConnectionMarker = "deep.grpc";

    /// <summary>The largest poll request or status report accepted.</summary>
    private const int MaxRequestMessageBytes = 4 * 1024 * 1024;

    private readonly WebApplication _app;
    private readonly SnapshotWriter _writer;
    private readonly RetentionService _retention;
    private int _disposed;

    private DeepServer(WebApplication app, SnapshotWriter writer, RetentionService retention,
        DeepDatabase database, SnapshotStore snapshots, ProbeStatusStore statuses, TracepointRegistry registry, Uri grpc, Uri http)
    {
        Statuses = statuses;
        Registry = registry;
        _app = app;
        _writer = writer;
        _retention = retention;
        Database = database;
        Snapshots = snapshots;
        GrpcAddress = grpc;
        HttpAddress = http;
    }

    /// <summary>Where agents connect (e.g. <c>http://127.0.0.1:43315</c>).</summary>
    public Uri GrpcAddress { get; }

    /// <summary>Where the HTTP API and the web UI are (e.g. <c>http://127.0.0.1:3300</c>).</summary>
    public Uri HttpAddress { get; }

    /// <summary>The SQLite database file.</summary>
    public string DatabasePath => Database.FilePath;

    internal DeepDatabase Database { get; }

    internal SnapshotStore Snapshots { get; }

    internal ProbeStatusStore Statuses { get; }

    internal TracepointRegistry Registry { get; }

    internal RetentionService Retention => _retention;

    /// <summary>Opens (or creates and migrates) the database and starts listening on both ports.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (the message says which).</exception>
    /// <exception cref="IOException">A port is taken.</exception>
    public static async Task<DeepServer> StartAsync(DeepServerOptions options, ILoggerProvider? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        X509Certificate2? certificate = null;
        if (options.TlsCertPath is not null)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(options.TlsCertPath, options.TlsKeyPath);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new ArgumentException($"the TLS certificate or key could not be read: {ex.Message}", ex);
            }
        }

        var database = new DeepDatabase(options.DataDirectory) { MaxPageCount = options.MaxDatabasePages };
        database.Migrate();
        var tracepoints = new TracepointStore(database);
        var snapshots = new SnapshotStore(database);
        var registry = new TracepointRegistry(tracepoints);
        var polls = new PollService(registry);
        var statuses = new ProbeStatusStore(database);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (logging is not null) builder.Logging.AddProvider(logging);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // Grpc.AspNetCore logs every refused call at Information; the caller sees the status.
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        // The caller (the CLI, a test) owns signals and decides when to stop.
        builder.Services.AddSingleton<IHostLifetime, CallerOwnedLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Math.Max(options.MaxSnapshotBytes + 1024L, 8L * 1024 * 1024);
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            var address = ParseListen(options.Listen);
            kestrel.Listen(address, options.GrpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null) listen.UseHttps(certificate);
                listen.Use(next => connection =>
                {
                    connection.Items[GrpcConnectionMarker] = true;
                    return next(connection);
                });
            });
            kestrel.Listen(address, options.HttpPort, listen =>
            {
                listen.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (certificate is not null) listen.UseHttps(certificate);
            });
        });
        builder.Services.AddRouting();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new RequestGate(options.ApiKey, options.Multitenant));
        builder.Services.AddSingleton(polls);
        builder.Services.AddSingleton(statuses);
        builder.Services.AddSingleton(services => new SnapshotWriter(database, services.GetRequiredService<ILoggerFactory>().CreateLogger("Deep.Server")));
        builder.Services.AddSingleton<GrpcCallGate>();
        builder.Services.AddSingleton<PollConfigHandler>();
        builder.Services.AddSingleton<SnapshotServiceHandler>();
        builder.Services.AddSingleton<ProbeStatusServiceHandler>();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = MaxRequestMessageBytes;
            // Every failure of a service is an RpcException (GrpcCallGate); what is left is a request that does not
            // decode, and its caller is better served by the reason than by "Exception was thrown by handler".
            grpc.EnableDetailedErrors = true;
            grpc.Interceptors.Add<GrpcCallGate>();
        }).AddServiceOptions<SnapshotServiceHandler>(send => send.MaxReceiveMessageSize = null); // SnapshotSizeLimit applies

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Deep.Server");
        var writer = app.Services.GetRequiredService<SnapshotWriter>();
        var retention = new RetentionService(snapshots, options.Retention, options.MaxSnapshots, options.RetentionInterval, logger);
        var gate = app.Services.GetRequiredService<RequestGate>();

        // The HTTP port's answers (the UI and the API) carry the security headers; a server on loopback answers only
        // requests addressed to a loopback name. The gRPC port's callers are agents, not browsers.
        var browser = new BrowserDefenses(BrowserDefenses.IsLoopback(options.Listen));
        app.UseWhen(context => !IsGrpcConnection(context), http =>
        {
            http.Use(async (context, next) =>
            {
                BrowserDefenses.AddSecurityHeaders(context.Response);
                if (browser.CheckHost(context.Request) is { } hostError)
                {
                    await HttpApi.Error(context, StatusCodes.Status403Forbidden, hostError).ConfigureAwait(false);
                    return;
                }
                await next(context).ConfigureAwait(false);
            });
            var webRoot = options.WebRoot ?? Path.Combine(AppContext.BaseDirectory, "Ui", "wwwroot");
            if (Directory.Exists(webRoot) && Directory.EnumerateFileSystemEntries(webRoot).Any())
            {
                var files = new PhysicalFileProvider(Path.GetFullPath(webRoot));
                http.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
                http.UseStaticFiles(new StaticFileOptions { FileProvider = files });
            }
        });
        app.UseRouting();
        app.Use((context, next) =>
        {
            // Each port answers its own endpoints only, and gRPC calls never reach the HTTP pipeline (its gate and
            // browser defenses): a call on the gRPC port runs its endpoint here; anything else there is 404.
            var endpoint = context.GetEndpoint();
            var grpcEndpoint = endpoint?.Metadata.GetMetadata<GrpcPortEndpoint>() is not null;
            if (!IsGrpcConnection(context))
            {
                if (grpcEndpoint) context.SetEndpoint(null);
                return next(context);
            }
            if (!grpcEndpoint || endpoint!.RequestDelegate is not { } call)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            // A gRPC call's limits are per message (MaxReceiveMessageSize, SnapshotSizeLimit), not per request body.
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = null;
            endpoint.Metadata.GetMetadata<SnapshotSizeLimit>()?.Apply(context);
            return call(context);
        });
        app.MapGrpcService<PollConfigHandler>().WithMetadata(GrpcPortEndpoint.Instance);
        app.MapGrpcService<SnapshotServiceHandler>().WithMetadata(GrpcPortEndpoint.Instance, new SnapshotSizeLimit(options.MaxSnapshotBytes));
        app.MapGrpcService<ProbeStatusServiceHandler>().WithMetadata(GrpcPortEndpoint.Instance);
        new HttpApi(registry, polls, snapshots, gate, statuses, logger).Map(app);
        new ExceptionsApi(database).Map(app);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            await retention.DisposeAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"could not listen on {options.Listen} ports {options.GrpcPort} and {options.HttpPort}: {ex.Message} (is another server running? choose other ports with --grpc-port/--http-port)", ex);
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "localhost", StringComparison.Ordinal))).ToList();
        var scheme = certificate is null ? "http" : "https";
        var host = options.Listen is "0.0.0.0" or "*" ? "127.0.0.1" : options.Listen == "::" ? "[::1]" : options.Listen.Contains(':', StringComparison.Ordinal) ? $"[{options.Listen}]" : options.Listen;
        // Kestrel lists the endpoints in the order they were added: gRPC first.
        var grpcUri = new Uri($"{scheme}://{host}:{addresses[0].Port}");
        var httpUri = new Uri($"{scheme}://{host}:{addresses[1].Port}");
        return new DeepServer(app, writer, retention, database, snapshots, statuses, registry, grpcUri, httpUri);
    }

    private static bool IsGrpcConnection(HttpContext context)
        => context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(GrpcConnectionMarker) == true;

    /// <summary>Marks the endpoints of the gRPC services (their unimplemented-method fallbacks too).</summary>
    private sealed class GrpcPortEndpoint
    {
        public static readonly GrpcPortEndpoint Instance = new();
    }

    private static IPAddress ParseListen(string listen) => listen switch
    {
        "*" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.Parse(listen),
    };

    /// <summary>
    /// Stops cleanly: releases waiting long polls, stops accepting calls, lets in-flight calls finish, commits every
    /// queued snapshot, and closes the database.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // In-flight calls that did not finish in time are cut; queued snapshots are still committed below.
            }
        }
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _retention.DisposeAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private sealed class CallerOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
