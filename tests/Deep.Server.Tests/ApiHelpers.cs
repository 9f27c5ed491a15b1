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

    /// <summary>The problems of an error answer (which must have the API's one error shape), one "field: message" a line.</summary>
    public static string ErrorText(this JsonElement body)
    {
        var lines = Errors(body).Select(e => e.Field is null ? e.Message : $"{e.Field}: {e.Message}");
        return string.Join('\n', lines);
    }

    /// <summary>The problems of an error answer: <c>{"errors":[{"field"?,"message"}]}</c>, at least one, nothing else.</summary>
    public static IReadOnlyList<(string? Field, string Message)> Errors(this JsonElement body)
    {
        Assert.Equal(["errors"], body.EnumerateObject().Select(p => p.Name));
        var errors = body.GetProperty("errors").EnumerateArray().Select(e =>
        {
            Assert.All(e.EnumerateObject(), p => Assert.Contains(p.Name, new[] { "field", "message" }));
            var message = e.GetProperty("message").GetString();
            Assert.False(string.IsNullOrWhiteSpace(message), body.GetRawText());
            return (e.TryGetProperty("field", out var f) ? f.GetString() : null, message!);
        }).ToList();
        Assert.NotEmpty(errors);
        return errors;
    }
}
