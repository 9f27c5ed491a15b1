using System.Net;
using System.Net.Http.Headers;
using Deep.Protocol.Grpc;
using Google.Protobuf;

namespace Deep.Server.Tests;

/// <summary>A real server on free loopback ports over a fresh data directory; disposed with the test.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(DeepServer server, string dataDirectory, DeepServerOptions options)
    {
        Server = server;
        DataDirectory = dataDirectory;
        Options = options;
        Http = new HttpClient { BaseAddress = server.HttpAddress };
        Grpc = new RawGrpcClient(server.GrpcAddress);
    }

    public DeepServer Server { get; }

    public string DataDirectory { get; }

    public DeepServerOptions Options { get; }

    public HttpClient Http { get; }

    public RawGrpcClient Grpc { get; }

    public static async Task<RunningServer> StartAsync(Action<DeepServerOptions>? configure = null, string? dataDirectory = null)
    {
        var dir = dataDirectory ?? TempDir.Create();
        var options = new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = dir };
        configure?.Invoke(options);
        var server = await DeepServer.StartAsync(options);
        return new RunningServer(server, dir, options);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Grpc.Dispose();
        await Server.DisposeAsync();
    }
}

internal static class TempDir
{
    public static string Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "deep-server-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>What a gRPC call ended with: the status, its message, and the response message bytes if any.</summary>
internal sealed record GrpcResult(GrpcStatusCode Status, string Message, byte[]? Body, bool TrailersOnly)
{
    public T Parse<T>(MessageParser<T> parser) where T : IMessage<T>
    {
        Assert.True(Status == GrpcStatusCode.OK, $"expected OK, got {Status}: {Message}");
        return parser.ParseFrom(Body!);
    }
}

/// <summary>
/// An independent gRPC client for the tests: HttpClient over real HTTP/2 (h2c with prior knowledge), our framing
/// written here by hand, status read from headers (trailers-only) or trailers, as gRPC clients do.
/// </summary>
internal sealed class RawGrpcClient : IDisposable
{
    private readonly HttpClient _http;

    public RawGrpcClient(Uri address, HttpMessageHandler? handler = null)
    {
        _http = new HttpClient(handler ?? new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
        {
            BaseAddress = address,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public Task<GrpcResult> CallAsync(string path, IMessage request, params (string Name, string Value)[] headers)
        => CallRawAsync(path, GrpcFraming.Frame(request.ToByteArray()), headers);

    public async Task<GrpcResult> CallRawAsync(string path, byte[] body, params (string Name, string Value)[] headers)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        message.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers) message.Headers.TryAddWithoutValidation(name, value);
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.Headers.TryGetValues("grpc-status", out var headerStatus))
        {
            Assert.Empty(bytes);
            var msg = response.Headers.TryGetValues("grpc-message", out var m) ? GrpcFraming.DecodeStatusMessage(m.First()) : "";
            return new GrpcResult((GrpcStatusCode)int.Parse(headerStatus.First()), msg, null, TrailersOnly: true);
        }
        var status = (GrpcStatusCode)int.Parse(response.TrailingHeaders.GetValues("grpc-status").First());
        var message2 = response.TrailingHeaders.TryGetValues("grpc-message", out var tm) ? GrpcFraming.DecodeStatusMessage(tm.First()) : "";
        byte[]? payload = null;
        if (bytes.Length > 0)
        {
            Assert.True(bytes.Length >= 5, "a response frame has a 5-byte header");
            var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1));
            Assert.Equal(bytes.Length - 5, (int)length);
            payload = bytes[5..];
        }
        return new GrpcResult(status, message2, payload, TrailersOnly: false);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Polls a condition until it holds or the deadline passes (no fixed sleeps).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("condition not met in time: " + because);
            await Task.Delay(25);
        }
    }
}
