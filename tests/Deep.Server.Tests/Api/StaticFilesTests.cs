using System.Net;

namespace Deep.Server.Tests.Api;

public sealed class StaticFilesTests
{
    [Fact]
    public async Task Files_in_the_web_root_are_served_at_the_root_with_index_html_as_default()
    {
        var root = TempDir.Create();
        await File.WriteAllTextAsync(Path.Combine(root, "index.html"), "<h1>deep</h1>");
        await File.WriteAllTextAsync(Path.Combine(root, "app.js"), "console.log(1)");
        await using var s = await RunningServer.StartAsync(o => o.WebRoot = root);
        Assert.Equal("<h1>deep</h1>", await s.Http.GetStringAsync("/"));
        using var js = await s.Http.GetAsync("/app.js");
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Equal("text/javascript", js.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Static_files_are_not_served_on_the_grpc_port()
    {
        var root = TempDir.Create();
        await File.WriteAllTextAsync(Path.Combine(root, "index.html"), "<h1>deep</h1>");
        await using var s = await RunningServer.StartAsync(o => o.WebRoot = root);
        using var http2 = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        foreach (var path in new[] { "/index.html", "/", "/api/echo" })
        {
            using var response = await http2.GetAsync(new Uri(s.Server.GrpcAddress, path));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("deep", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task An_unknown_api_path_is_a_json_404()
    {
        await using var s = await RunningServer.StartAsync();
        var (status, body) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/nothing-here");
        Assert.Equal(404, status);
        Assert.Contains("/api/nothing-here", body.ErrorText());
    }
}
