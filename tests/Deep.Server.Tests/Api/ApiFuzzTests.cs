using System.Text;
using System.Text.Json;

namespace Deep.Server.Tests.Api;

/// <summary>
/// Random and mutated requests to the HTTP API, from a fixed seed: every answer is a 2xx, or a 4xx with a JSON error
/// body; never a 5xx, never a hang; and the server still works afterwards.
/// </summary>
public sealed class ApiFuzzTests
{
    private const int Seed = 20261207;

    /// <summary>Enough to reach the odd corners; the count (not a clock) bounds the run, each request has a timeout.</summary>
    private const int Requests = 2000;

    private static readonly string[] ValidBodies =
    [
        """{"tracepoint":{"path":"OrderService.cs","lineNumber":42}}""",
        """{"tracepoint":{"path":"A.cs","lineNumber":3,"args":{"condition":"order.Total > 100","fire_count":"5","stage":"line_end"},"watches":["order.Id","items.Count"]}}""",
        """{"tracepoint":{"path":"A.cs","args":{"method_name":"Shop.Cart.Add","log_msg":"total {order.Total}","span":"method"},"metrics":[{"name":"m","expression":"x"}]}}""",
        """{"tracepoint":{"ID":"x","path":"B.cs","lineNumber":7,"targeting":[{"key":"service.name","value":{"stringValue":"shop"}}]}}""",
    ];

    private static readonly string[] Fragments =
    [
        "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "0", "-1", "1e400", "4294967296", "2147483648",
        "18446744073709551616", "\"\\u0000\"", "\"\\ud800\"", "\"é\"", "{\"a\":", "[[[[[[[[", "\"tracepoint\"", "\"lineNumber\"",
        "\"args\"", "\"watches\"", "\"metrics\"", "\"targeting\"", "\"((((\"", "\"!!!!!!!!!!\"", "\"{x\"", "1.5", "NaN",
        "\"\\\"\"", "\"" + new string('(', 200) + "\"", "\"" + new string('x', 5000) + "\"",
    ];

    private static readonly string[] Keys =
    [
        "tracepoint", "path", "lineNumber", "line_number", "args", "watches", "metrics", "targeting", "ID", "id", "name",
        "expression", "condition", "log_msg", "fire_count", "fire_period", "stage", "method_name", "span", "snapshot",
        "MAX_VAR_DEPTH", "window_start", "labelExpressions", "type", "key", "value", "stringValue", "intValue",
    ];

    [Fact]
    public async Task Random_and_mutated_requests_get_a_2xx_or_a_4xx_with_a_json_error_and_the_server_survives()
    {
        await using var s = await RunningServer.StartAsync();
        s.Http.Timeout = TimeSpan.FromSeconds(60);
        var random = new Random(Seed);
        var counts = new Dictionary<int, int>();
        for (var i = 0; i < Requests; i++)
        {
            var (method, path, body) = NextRequest(random);
            using var request = new HttpRequestMessage(method, path);
            if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } };
            using var response = await s.Http.SendAsync(request);
            var status = (int)response.StatusCode;
            counts[status] = counts.GetValueOrDefault(status) + 1;
            var text = await response.Content.ReadAsStringAsync();
            var shown = $"{method} {path} {(body is null ? "" : Encoding.UTF8.GetString(body[..Math.Min(body.Length, 300)]))} -> {status} {text[..Math.Min(text.Length, 300)]}";
            Assert.True(status is >= 200 and < 300 or >= 400 and < 500, shown);
            // Kestrel refuses a request target holding an encoded NUL before any application code runs, with an
            // empty 400; that is the HTTP server's own answer to malformed HTTP, not one of the API's.
            if (status == 400 && text.Length == 0 && path.Contains("%00", StringComparison.Ordinal)) continue;
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", shown);
            using var doc = JsonDocument.Parse(text);
            if (status >= 400)
                Assert.False(string.IsNullOrWhiteSpace(doc.RootElement.ErrorText()), shown);
        }
        // The run reached both outcomes (else the generator, not the server, is what is tested).
        Assert.Contains(counts.Keys, k => k == 200);
        Assert.Contains(counts.Keys, k => k == 400);

        var (echo, _) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/echo");
        Assert.Equal(200, echo);
        await s.Http.CreateTracepointAsync(ValidBodies[0]);
    }

    private static (HttpMethod Method, string Path, byte[]? Body) NextRequest(Random random)
    {
        switch (random.Next(10))
        {
            case < 6:
                return (HttpMethod.Post, "/api/tracepoints", Encoding.UTF8.GetBytes(NextBody(random)));
            case 6:
                return (HttpMethod.Post, "/api/tracepoints", NextBytes(random));
            case 7:
                return (HttpMethod.Get, Pick(random, ["/api/search", "/api/snapshots", "/api/status", "/api/tracepoints"]) + "?" + NextQuery(random), null);
            case 8:
                return (HttpMethod.Delete, "/api/tracepoints/" + Uri.EscapeDataString(NextText(random)), null);
            default:
                return (HttpMethod.Get, "/api/snapshots/" + Uri.EscapeDataString(NextText(random)), null);
        }
    }

    private static string NextBody(Random random) => random.Next(4) switch
    {
        0 => Mutate(random, Pick(random, ValidBodies)),
        1 => "{\"tracepoint\":" + RandomJson(random, 0) + "}",
        2 => "{\"tracepoint\":{" + string.Join(",", Enumerable.Range(0, random.Next(1, 6)).Select(_ => $"\"{Pick(random, Keys)}\":{RandomJson(random, 1)}")) + "}}",
        _ => RandomJson(random, 0),
    };

    /// <summary>A valid body with a few characters replaced, inserted or removed, or cut short.</summary>
    private static string Mutate(Random random, string text)
    {
        var sb = new StringBuilder(text);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(4))
            {
                case 0:
                    sb[at] = (char)random.Next(32, 127);
                    break;
                case 1:
                    sb.Insert(at, Pick(random, Fragments));
                    break;
                case 2:
                    sb.Remove(at, Math.Min(sb.Length - at, random.Next(1, 8)));
                    break;
                default:
                    sb.Length = at;
                    break;
            }
        }
        return sb.ToString();
    }

    private static string RandomJson(Random random, int depth)
    {
        if (depth > 4 && random.Next(3) > 0) return Pick(random, Fragments.Where(f => f.Length > 0 && f[0] is '"' or 'n' or 't' or 'f' or '-' or >= '0' and <= '9').ToArray());
        return random.Next(8) switch
        {
            0 => "{" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => $"\"{Pick(random, Keys)}\":{RandomJson(random, depth + 1)}")) + "}",
            1 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, depth + 1))) + "]",
            2 => JsonSerializer.Serialize(NextText(random)),
            3 => random.NextInt64(long.MinValue, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
            4 => (random.NextDouble() * 1e10).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            5 => Pick(random, ["true", "false", "null"]),
            6 => new string('[', random.Next(50, 300)) + new string(']', random.Next(0, 300)),
            _ => Pick(random, Fragments),
        };
    }

    private static string NextQuery(Random random)
    {
        string[] names = ["start", "end", "limit", "tags", "tracepoint", "after", "hash", "ts", "service.name"];
        return string.Join("&", Enumerable.Range(0, random.Next(4)).Select(_ => Pick(random, names) + "=" + Uri.EscapeDataString(NextText(random))));
    }

    private static string NextText(Random random) => random.Next(6) switch
    {
        0 => random.NextInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
        1 => Convert.ToHexString(Enumerable.Range(0, random.Next(14, 19)).Select(_ => (byte)random.Next(256)).ToArray()),
        2 => "-" + random.Next(),
        3 => new string((char)random.Next(32, 0x2FFF), random.Next(0, 40)),
        4 => Pick(random, ["", " ", "service.name=\"shop\" env=prod", "a=\"unclosed", "=x", "9223372036854775807", "99999999999999999999", "NaN"]),
        _ => Encoding.UTF8.GetString(NextBytes(random)),
    };

    private static byte[] NextBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
