using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Deep.Server.Tests.Security;

/// <summary>
/// What a web page in the developer's browser can do to a server it can reach: nothing that changes state, nothing
/// through a rebound DNS name, nothing without the key whatever the case of the path; and the UI is sent with the
/// headers that keep it from being framed or sniffed.
/// </summary>
public sealed class BrowserDefenseTests
{
    [Theory]
    [InlineData("/API/echo")]
    [InlineData("/Api/Echo")]
    [InlineData("/api/ECHO")]
    [InlineData("/API/TRACEPOINTS")]
    [InlineData("/aPi/status")]
    [InlineData("/API/search")]
    [InlineData("/API/snapshots")]
    [InlineData("/API/nothing-here")]
    public async Task The_api_key_is_required_whatever_the_case_of_the_path(string path)
    {
        await using var s = await RunningServer.StartAsync(o => o.ApiKey = "s3cret");
        using var anonymous = await s.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("API key", JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync()).RootElement.ErrorText());

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        using var withKey = await s.Http.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.Unauthorized, withKey.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/API/tracepoints")]
    [InlineData("DELETE", "/Api/Tracepoints/some-id")]
    public async Task State_changing_calls_in_another_case_need_the_key_too(string method, string path)
    {
        await using var s = await RunningServer.StartAsync(o => o.ApiKey = "s3cret");
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = new StringContent(Samples.TracepointJson(), Encoding.UTF8, "application/json");
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(s.Server.Registry.Current(Deep.Server.Security.RequestGate.SingleTenant).Tracepoints);
    }

    public static TheoryData<string, string?, (string Name, string Value)[]> CrossSiteShapes() => new()
    {
        { "text/plain", null, [] },
        { "text/plain; charset=utf-8", null, [] },
        { "application/x-www-form-urlencoded", null, [] },
        { "multipart/form-data; boundary=x", null, [] },
        { "application/json", "http://evil.example", [] },
        { "application/json", "http://127.0.0.1.evil.example", [] },
        { "application/json", "null", [] },
        { "application/json", null, [("Sec-Fetch-Site", "cross-site")] },
        { "application/json", null, [("Sec-Fetch-Site", "same-site")] },
        { "text/plain", "http://evil.example", [("Sec-Fetch-Site", "cross-site")] },
    };

    [Theory]
    [MemberData(nameof(CrossSiteShapes))]
    public async Task A_cross_site_or_non_json_post_creates_nothing(string contentType, string? origin, (string Name, string Value)[] headers)
    {
        await using var s = await RunningServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tracepoints") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(Samples.TracepointJson())) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await s.Http.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.UnsupportedMediaType, $"got {response.StatusCode}");
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.ErrorText();
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Empty(s.Server.Registry.Current(Deep.Server.Security.RequestGate.SingleTenant).Tracepoints);
    }

    [Fact]
    public async Task A_delete_from_another_origin_is_refused_and_the_tracepoint_stays()
    {
        await using var s = await RunningServer.StartAsync();
        var id = await s.Http.CreateTracepointAsync(Samples.TracepointJson());
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/api/tracepoints/" + id);
        request.Headers.TryAddWithoutValidation("Origin", "https://evil.example");
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Single(s.Server.Registry.Current(Deep.Server.Security.RequestGate.SingleTenant).Tracepoints);
    }

    [Fact]
    public async Task The_servers_own_pages_and_non_browser_clients_may_post()
    {
        await using var s = await RunningServer.StartAsync();
        var origin = s.Server.HttpAddress.GetLeftPart(UriPartial.Authority);
        foreach (var headers in new[] { new[] { ("Origin", origin), ("Sec-Fetch-Site", "same-origin") }, [("Origin", origin)], [] })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/tracepoints")
            {
                Content = new StringContent(Samples.TracepointJson(), Encoding.UTF8, "application/json"),
            };
            foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await s.Http.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(3, s.Server.Registry.Current(Deep.Server.Security.RequestGate.SingleTenant).Tracepoints.Length);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:3300")]
    [InlineData("127.0.0.1.nip.io")]
    [InlineData("localhost.evil.example")]
    [InlineData("192.168.1.10")]
    [InlineData("[fe80::1]")]
    public async Task A_loopback_server_refuses_requests_addressed_to_another_name(string host)
    {
        var root = TempDir.Create();
        await File.WriteAllTextAsync(Path.Combine(root, "index.html"), "<h1>deep</h1>");
        await using var s = await RunningServer.StartAsync(o => o.WebRoot = root);
        foreach (var path in new[] { "/", "/index.html", "/api/echo", "/api/tracepoints", "/API/status" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = host;
            using var response = await s.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("<h1>", body);
            Assert.Contains("loopback", JsonDocument.Parse(body).RootElement.ErrorText());
        }
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST")]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("[::1]")]
    [InlineData("deep.localhost")]
    public async Task A_loopback_server_answers_loopback_names(string host)
    {
        await using var s = await RunningServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/echo");
        request.Headers.Host = $"{host}:{s.Server.HttpAddress.Port}";
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_server_listening_on_all_interfaces_answers_any_name()
    {
        await using var s = await RunningServer.StartAsync(o => o.Listen = "0.0.0.0");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/echo");
        request.Headers.Host = "deep.internal.example";
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/app.js")]
    [InlineData("/api/echo")]
    [InlineData("/api/nothing-here")]
    [InlineData("/no-such-file")]
    public async Task Every_answer_carries_the_security_headers(string path)
    {
        var root = TempDir.Create();
        await File.WriteAllTextAsync(Path.Combine(root, "index.html"), "<h1>deep</h1>");
        await File.WriteAllTextAsync(Path.Combine(root, "app.js"), "console.log(1)");
        await using var s = await RunningServer.StartAsync(o => o.WebRoot = root);
        using var response = await s.Http.GetAsync(path);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }
}
