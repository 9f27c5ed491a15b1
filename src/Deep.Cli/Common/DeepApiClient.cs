using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Deep.Tracepoints;
using Google.Protobuf;

namespace Deep.Cli.Common;

/// <summary>
/// The CLI's view of a DEEP server's HTTP API. Every failure becomes a <see cref="CliException"/> that says what went
/// wrong and what to do next.
/// </summary>
internal sealed class DeepApiClient : IDisposable
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private readonly HttpClient _http;

    public DeepApiClient(ServerConnection connection, HttpMessageHandler? handler = null)
    {
        Connection = connection;
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.BaseAddress = connection.BaseAddress;
        _http.Timeout = TimeSpan.FromSeconds(30);
        if (connection.ApiKey is { Length: > 0 } key)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (connection.Tenant is { Length: > 0 } tenant)
            _http.DefaultRequestHeaders.Add("x-scope-orgid", tenant);
    }

    public ServerConnection Connection { get; }

    public Task<string> GetJsonAsync(string path, CancellationToken cancellationToken)
        => SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<string> PostJsonAsync(string path, string json, CancellationToken cancellationToken)
        => SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") }, cancellationToken);

    public Task<string> DeleteAsync(string path, CancellationToken cancellationToken)
        => SendAsync(new HttpRequestMessage(HttpMethod.Delete, path), cancellationToken);

    public static T Parse<T>(string json) where T : IMessage, new() => Parser.Parse<T>(json);

    private async Task<string> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(ExitCodes.Unreachable,
                $"cannot reach the DEEP server at {Connection.BaseAddress} ({ex.Message}). Start one with 'deep server', or point at yours with --server <url>.", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unreachable, $"the DEEP server at {Connection.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s.", ex);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return body;
            var detail = ErrorText(body) is { Length: > 0 } text ? text : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new CliException(ExitCodes.Unauthorized,
                    $"the server refused the request: {detail}. Pass the server's key with --api-key or set DEEP_API_KEY."),
                HttpStatusCode.NotFound => new CliException(ExitCodes.NotFound, detail),
                // 400 (invalid), 409 (a limit reached), 413 (too large), 415...: the server says why.
                >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError => new CliException(ExitCodes.InvalidInput, "the server rejected the request:" + (detail.StartsWith('\n') ? detail : " " + detail)),
                _ => new CliException(ExitCodes.Unexpected, $"the server failed: {detail}"),
            };
        }
    }

    /// <summary>
    /// The problems of an error answer (<c>{"errors":[{"field","message"}]}</c>): one without a field as it is, those
    /// with fields each on a line of its own (after a line break) as <c>field: message</c>. Another server's answer is shown as it came.
    /// </summary>
    internal static string ErrorText(string body)
    {
        var errors = new List<FieldError>();
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in list.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.Object) continue;
                    errors.Add(new(Text(e, "field"), Text(e, "message")));
                }
            }
        }
        catch (JsonException)
        {
        }
        if (errors.Count == 0) return body.Trim();
        if (errors is [{ Field.Length: 0 } only]) return only.Message;
        return string.Concat(errors.Select(e => "\n" + (e.Field.Length > 0 ? e.ToString() : e.Message)));

        static string Text(JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Which server the CLI talks to and how it identifies itself.</summary>
internal sealed record ServerConnection(Uri BaseAddress, string? ApiKey, string? Tenant)
{
    public const string DefaultServer = "http://127.0.0.1:3300";

    /// <summary>The connection <c>--server</c>/<c>--api-key</c>/<c>--tenant</c> describe; a bad URL is a usage error, never localhost.</summary>
    public static ServerConnection Create(string? server, string? apiKey, string? tenant)
    {
        var uri = ServerUrls.ParseApiUrl(server ?? DefaultServer, out var error)
            ?? throw new CliException(ExitCodes.Usage, $"--server '{server}' {error}: give the server's HTTP API, e.g. {DefaultServer}");
        return new ServerConnection(uri, string.IsNullOrEmpty(apiKey) ? Environment.GetEnvironmentVariable("DEEP_API_KEY") : apiKey, tenant);
    }
}
