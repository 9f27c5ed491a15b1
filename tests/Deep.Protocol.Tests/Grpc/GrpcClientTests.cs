using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Deep.Protocol.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Deep.Protocol.Tests.Grpc;

/// <summary>Our gRPC client against a real Kestrel server over real HTTP/2 on loopback.</summary>
public sealed class GrpcClientTests
{
    private static PollRequest SamplePoll(string hash = "1234")
    {
        var resource = new Resource();
        resource.Attributes.Add(new KeyValue("service.name", "checkout"));
        return new PollRequest { TsNanos = 1_700_000_000_000_000_000, CurrentHash = hash, Resource = resource };
    }

    [Fact]
    public async Task Poll_round_trips_over_h2c_with_prior_knowledge()
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);
        using var client = new GrpcClient(server.Address);

        var response = await new PollConfigClient(client).PollAsync(SamplePoll("abc"));

        Assert.Equal(ResponseType.Update, response.ResponseType);
        Assert.Equal("h-abc", response.CurrentHash);
        Assert.Equal(1_700_000_000_000_000_001UL, response.TsNanos);
        var tracepoint = Assert.Single(response.Response);
        Assert.Equal("tp-abc", tracepoint.ID);
        Assert.Equal(42u, tracepoint.LineNumber);
        Assert.Equal("-1", tracepoint.Args["fire_count"]);
        var received = Assert.Single(endpoint.Polls);
        Assert.Equal("checkout", received.Resource!.Attributes[0].Value!.StringValue);
    }

    [Fact]
    public async Task Snapshot_send_delivers_the_snapshot()
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);
        using var client = new GrpcClient(server.Address);
        var snapshot = new Snapshot { ID = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray(), TsNanos = 5, LogMsg = "hit" };
        snapshot.VarLookup["1"] = new Variable { Type = "int", Value = "7" };

        await new SnapshotServiceClient(client).SendAsync(snapshot);

        var received = Assert.Single(endpoint.Snapshots);
        Assert.Equal(snapshot.ID, received.ID);
        Assert.Equal("7", received.VarLookup["1"].Value);
        Assert.Equal("hit", received.LogMsg);
    }

    [Fact]
    public async Task Requests_carry_te_trailers_content_type_deadline_and_metadata()
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);
        using var client = new GrpcClient(server.Address, new GrpcClientOptions { DefaultHeaders = [new("authorization", "Basic dTpw")] });

        await new PollConfigClient(client).PollAsync(SamplePoll(), new CallOptions { Timeout = TimeSpan.FromSeconds(30), Headers = [new("x-scope-orgid", "tenant-7")] });

        var headers = Assert.Single(endpoint.RequestHeaders);
        Assert.Equal("trailers", headers["te"].ToString());
        Assert.Equal("application/grpc", headers.ContentType.ToString());
        Assert.Equal("Basic dTpw", headers.Authorization.ToString());
        Assert.Equal("tenant-7", headers["x-scope-orgid"].ToString());
        Assert.True(GrpcFraming.TryParseTimeout(headers["grpc-timeout"], out var sent));
        Assert.InRange(sent, TimeSpan.FromSeconds(29), TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(GrpcStatusCode.InvalidArgument)]
    [InlineData(GrpcStatusCode.ResourceExhausted)]
    [InlineData(GrpcStatusCode.FailedPrecondition)]
    [InlineData(GrpcStatusCode.Unauthenticated)]
    public async Task A_trailers_only_error_becomes_RpcException_with_its_code_and_decoded_message(GrpcStatusCode code)
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll(), new CallOptions { Headers = [new("x-fail", ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture))] }));

        Assert.Equal(code, ex.StatusCode);
        Assert.Equal("failing as asked: ünïcödé 100%", ex.Detail);
    }

    [Fact]
    public async Task An_error_status_in_trailers_after_headers_becomes_RpcException()
    {
        await using var server = await KestrelTestServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.StartAsync();
            context.Response.AppendTrailer("grpc-status", "8");
            context.Response.AppendTrailer("grpc-message", GrpcFraming.EncodeStatusMessage("RATE_LIMITED: slow down"));
        });
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("RATE_LIMITED: slow down", ex.Detail);
    }

    [Theory]
    [InlineData(400, GrpcStatusCode.Internal)]
    [InlineData(401, GrpcStatusCode.Unauthenticated)]
    [InlineData(403, GrpcStatusCode.PermissionDenied)]
    [InlineData(404, GrpcStatusCode.Unimplemented)]
    [InlineData(429, GrpcStatusCode.Unavailable)]
    [InlineData(502, GrpcStatusCode.Unavailable)]
    [InlineData(503, GrpcStatusCode.Unavailable)]
    [InlineData(504, GrpcStatusCode.Unavailable)]
    [InlineData(500, GrpcStatusCode.Unknown)]
    public async Task An_HTTP_error_status_maps_to_the_gRPC_status_the_spec_gives(int httpStatus, GrpcStatusCode expected)
    {
        await using var server = await KestrelTestServer.StartAsync(context =>
        {
            context.Response.StatusCode = httpStatus;
            return Task.CompletedTask;
        });
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(expected, ex.StatusCode);
        Assert.Contains(httpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_down_fails_quickly_with_UNAVAILABLE()
    {
        // A port that was free a moment ago: nothing listens, so the connection is refused.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var client = new GrpcClient(new Uri($"http://127.0.0.1:{port}"), new GrpcClientOptions { ConnectTimeout = TimeSpan.FromSeconds(2) });

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.Unavailable, ex.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_server_that_speaks_only_HTTP1_gives_INTERNAL_saying_so()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1));
        await using var app = builder.Build();
        app.Run(context => context.Response.WriteAsync("hello"));
        await app.StartAsync();
        var port = new Uri(app.Urls.Single()).Port;
        using var client = new GrpcClient(new Uri($"http://127.0.0.1:{port}"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll(), new CallOptions { Timeout = TimeSpan.FromSeconds(30) }));

        // The gRPC spec maps the HTTP/2 error HTTP_1_1_REQUIRED to INTERNAL.
        Assert.Equal(GrpcStatusCode.Internal, ex.StatusCode);
        Assert.Contains("HTTP/1.1", ex.Detail, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task A_deadline_that_passes_gives_DEADLINE_EXCEEDED()
    {
        await using var server = await KestrelTestServer.StartAsync(async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var client = new GrpcClient(server.Address);

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll(), new CallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Equal(GrpcStatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Cancelling_the_token_gives_CANCELLED()
    {
        var started = new TaskCompletionSource();
        await using var server = await KestrelTestServer.StartAsync(async context =>
        {
            started.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        using var client = new GrpcClient(server.Address);
        using var cts = new CancellationTokenSource();

        var call = new PollConfigClient(client).PollAsync(SamplePoll(), cancellationToken: cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(GrpcStatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task A_response_over_the_receive_limit_gives_RESOURCE_EXHAUSTED()
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);
        using var client = new GrpcClient(server.Address, new GrpcClientOptions { MaxReceiveMessageSize = 10 });

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task A_response_that_is_not_valid_protobuf_gives_INTERNAL()
    {
        await using var server = await KestrelTestServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(GrpcFraming.Frame([0x0A, 0x7F, 0x01]));
            context.Response.AppendTrailer("grpc-status", "0");
        });
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.Internal, ex.StatusCode);
        Assert.Contains("PollResponse", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_response_without_grpc_status_gives_INTERNAL()
    {
        await using var server = await KestrelTestServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(GrpcFraming.Frame([]));
        });
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.Internal, ex.StatusCode);
        Assert.Contains("grpc-status", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_response_cut_short_inside_a_frame_gives_INTERNAL()
    {
        await using var server = await KestrelTestServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/grpc";
            // The header announces 100 bytes; 3 follow.
            await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 100, 1, 2, 3 });
            context.Response.AppendTrailer("grpc-status", "0");
        });
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task A_non_gRPC_response_gives_UNKNOWN()
    {
        await using var server = await KestrelTestServer.StartAsync(context =>
        {
            context.Response.ContentType = "text/html";
            return context.Response.WriteAsync("<html>gateway page</html>");
        });
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.Unknown, ex.StatusCode);
        Assert.Contains("text/html", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_OK_status_without_a_message_gives_INTERNAL()
    {
        await using var server = await KestrelTestServer.StartAsync(context =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "0";
            return Task.CompletedTask;
        });
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task Calls_reuse_one_connection()
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);
        using var client = new GrpcClient(server.Address);
        var poll = new PollConfigClient(client);

        for (var i = 0; i < 5; i++) await poll.PollAsync(SamplePoll());
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => poll.PollAsync(SamplePoll())));

        Assert.Equal(25, endpoint.Polls.Count);
        Assert.Single(endpoint.ConnectionIds);
    }

    [Fact]
    public async Task Reserved_metadata_names_are_refused_with_INVALID_ARGUMENT()
    {
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync);
        using var client = new GrpcClient(server.Address);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll(), new CallOptions { Headers = [new("grpc-status", "0")] }));

        Assert.Equal(GrpcStatusCode.InvalidArgument, ex.StatusCode);
        Assert.Empty(endpoint.Polls);
    }

    [Fact]
    public async Task Tls_with_ALPN_h2_works_when_the_certificate_is_trusted()
    {
        using var certificate = KestrelTestServer.CreateSelfSignedCertificate();
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync, certificate);
        var address = new Uri($"https://localhost:{server.Address.Port}");
        using var client = new GrpcClient(address, new GrpcClientOptions
        {
            ServerCertificateValidation = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString(),
        });

        var response = await new PollConfigClient(client).PollAsync(SamplePoll("tls"));

        Assert.Equal("h-tls", response.CurrentHash);
    }

    [Fact]
    public async Task Tls_to_an_untrusted_certificate_gives_UNAVAILABLE()
    {
        using var certificate = KestrelTestServer.CreateSelfSignedCertificate();
        var endpoint = new DeepTestEndpoint();
        await using var server = await KestrelTestServer.StartAsync(endpoint.HandleAsync, certificate);
        using var client = new GrpcClient(new Uri($"https://localhost:{server.Address.Port}"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => new PollConfigClient(client).PollAsync(SamplePoll()));

        Assert.Equal(GrpcStatusCode.Unavailable, ex.StatusCode);
        Assert.Empty(endpoint.Polls);
    }

    [Fact]
    public void Addresses_other_than_http_or_https_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new GrpcClient(new Uri("ftp://example/")));
        Assert.Throws<ArgumentException>(() => new GrpcClient(new Uri("/relative", UriKind.Relative)));
    }
}
