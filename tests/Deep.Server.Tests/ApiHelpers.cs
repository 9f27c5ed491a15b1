using System.Text;
using System.Text.Json;

namespace Deep.Server.Tests;

internal static class ApiHelpers
{
    public static async Task<string> CreateTracepointAsync(this HttpClient http, string body)
    {
        using var response = await http.PostAsync("/api/tracepoints", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("tracepoint").GetProperty("ID").GetString()!;
    }

    public static async Task<(int Status, JsonElement Body)> SendJsonAsync(this HttpClient http, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return ((int)response.StatusCode, doc.RootElement.Clone());
    }
}
