using System.Net;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Web;

/// <summary>
/// <c>DEEP_EXCEPTION_REPLAY=false</c> in a real service under <c>deep run</c>: failures that would be replayed (the
/// same escape again and again) hook nothing and send nothing, while ordinary tracepoints still work.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ExceptionReplayOffTests
{
    [Fact]
    public async Task Switched_off_it_hooks_nothing_and_sends_nothing_while_tracepoints_still_fire()
    {
        await using var session = await WebShopSession.StartAsync("Release", new Dictionary<string, string?> { ["DEEP_EXCEPTION_REPLAY"] = "false" });
        // Said on stderr (read asynchronously) by the agent's start, which may finish after the app said it listens.
        await session.WaitForLogAsync("exception replay: off");

        // With it on, the first of these is hooked and the second is a snapshot (ExceptionReplayTests).
        for (var orderId = 1; orderId < 12; orderId += 2)
        {
            using var response = await session.Http.GetAsync($"/checkout/{orderId}?quantity=2");
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        // A barrier: a tracepoint set after the failures fires and its snapshot arrives. The agent's threads are
        // alive and sending, so a replay snapshot (or its hooks) would have come by now.
        var id = await session.Api.CreateAsync("PriceList.cs", WebShopSession.Line("PriceList.cs", "quote-total"), new Dictionary<string, string> { ["fire_count"] = "1" });
        await session.DriveUntilAsync(id, () => session.GetQuoteAsync(2, 3), s => s.Count == 1, TimeSpan.FromSeconds(90));

        Assert.DoesNotContain("exception replay: hooking", session.App.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("exception replay: snapshot", session.App.Log, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = session.Server.HttpAddress };
        var rows = (JsonArray)JsonNode.Parse(await http.GetStringAsync("/api/exceptions"))!["exceptions"]!;
        Assert.Empty(rows);
    }
}
