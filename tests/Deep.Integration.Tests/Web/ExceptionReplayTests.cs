using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Web;

/// <summary>
/// Exception Replay in an ASP.NET Core service (samples/WebShop, CheckoutEndpoints.cs) under <c>deep run</c>, with
/// no tracepoint: the first escape of a failure hooks the app methods on its stack, a later one becomes one snapshot
/// whose app frames all carry the values of that very request, arguments and the locals in scope where the exception
/// passed (each request's values differ, and every frame's values are checked against the order id the snapshot's
/// outermost frame shows).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ExceptionReplayTests(ExceptionReplayWebShopFixture fixture) : IClassFixture<ExceptionReplayWebShopFixture>
{
    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_failure_three_calls_deep_comes_with_the_values_of_that_request_in_every_frame_and_only_once(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        var next = 1;
        var (fingerprint, snapshot) = await DriveUntilReplayAsync(session, () =>
        {
            var orderId = next += 2; // odd: fails in Check
            return $"/checkout/{orderId}?quantity={orderId % 5 + 1}";
        }, frames => frames.Contains("Place"));

        var place = Frame(snapshot, "Place");
        var orderId = Int(snapshot, place, "orderId");
        var quantity = orderId % 5 + 1;
        var unitPrice = 7 + orderId % 3;
        var subtotal = quantity * unitPrice;
        if (quantity > 1 && subtotal / 10 > 0) subtotal -= subtotal / 10;
        var total = subtotal + quantity;
        var limit = 100 + orderId % 10;
        Assert.Equal(quantity, Int(snapshot, place, "quantity"));
        // Each frame's locals, of this very request: Place's checkout, Price's subtotal and total, Check's limit.
        Assert.Equal(orderId.ToString(CultureInfo.InvariantCulture), Member(snapshot, place, "checkout", "OrderId"));
        Assert.Equal($"customer-{orderId}", Member(snapshot, place, "checkout", "Customer"));
        var price = Frame(snapshot, "Price");
        Assert.Equal(unitPrice, Int(snapshot, price, "unitPrice"));
        Assert.Equal(orderId.ToString(CultureInfo.InvariantCulture), Member(snapshot, price, "checkout", "OrderId"));
        Assert.Equal(subtotal, Int(snapshot, price, "subtotal"));
        Assert.Equal(total, Int(snapshot, price, "total"));
        // `discount`'s scope ended before the failing call: not shown, though its slot still holds a value.
        Assert.False(HasVariable(snapshot, price, "discount"), "a local out of scope where the exception passed is not shown");
        var check = Frame(snapshot, "Check");
        Assert.Equal(orderId, Int(snapshot, check, "orderId"));
        Assert.Equal(total, Int(snapshot, check, "total"));
        Assert.Equal(limit, Int(snapshot, check, "limit"));
        Assert.Equal(["orderId", "total", "limit"], Names(snapshot, check));
        Assert.True(check < price && price < place, "frames innermost first");
        Assert.Equal($"order {orderId}: total {total} refused (limit {limit})", Attribute(snapshot, "exception.message"));
        Assert.Equal("System.InvalidOperationException", Attribute(snapshot, "exception.type"));
        Assert.Equal("true", Attribute(snapshot, "exception.replay"));
        Assert.Equal("exception", Attribute(snapshot, "stage"));
        Assert.Equal(fingerprint, Attribute(snapshot, "exception.fingerprint"));
        Assert.StartsWith("InvalidOperationException", Watch(snapshot, "exception")["value"]!.GetValue<string>(), StringComparison.Ordinal);

        // The same failure again, within the interval: no second snapshot.
        for (var i = 0; i < 3; i++) await FailAsync(session, $"/checkout/{next += 2}?quantity=1");
        // A barrier: escapes are handled in order on one agent thread and sent in order, so once another failure's
        // snapshot arrived, a second snapshot of these would have arrived before it.
        await DriveUntilReplayAsync(session, () => "/countdown/7", frames => frames.Count(f => f == "CountDown") == 8);
        Assert.Single(await SnapshotsAsync(session, fingerprint));
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_async_chain_has_each_awaited_frame_with_its_arguments_and_hoisted_locals(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        var next = 101;
        var (_, snapshot) = await DriveUntilReplayAsync(session, () => $"/checkout-async/{next += 2}?quantity=3", frames => frames.Contains("PlaceAsync"));
        var orderId = Int(snapshot, Frame(snapshot, "PlaceAsync"), "orderId");
        Assert.Equal(7 + orderId % 3, Int(snapshot, Frame(snapshot, "PriceAsync"), "unitPrice"));
        // Locals hoisted into the state machines, as they were when the exception came out of the await.
        Assert.Equal(orderId.ToString(CultureInfo.InvariantCulture), Member(snapshot, Frame(snapshot, "PlaceAsync"), "checkout", "OrderId"));
        Assert.Equal(3 * (7 + orderId % 3), Int(snapshot, Frame(snapshot, "PriceAsync"), "total"));
        Assert.Equal(orderId, Int(snapshot, Frame(snapshot, "CheckAsync"), "orderId"));
        Assert.Equal(3 * (7 + orderId % 3), Int(snapshot, Frame(snapshot, "CheckAsync"), "total"));
        Assert.Equal(orderId, Int(snapshot, Frame(snapshot, "Check"), "orderId"));
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_recursive_method_has_each_activation_with_its_own_values(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        var (_, snapshot) = await DriveUntilReplayAsync(session, () => "/countdown/3", frames => frames.Count(f => f == "CountDown") == 4);
        var frames = (JsonArray)snapshot["frames"]!;
        var activations = frames.Select((f, i) => (f, i)).Where(x => x.f!["methodName"]!.GetValue<string>() == "CountDown").Select(x => x.i).ToList();
        Assert.Equal([0, 1, 2, 3], activations.Select(i => Int(snapshot, i, "n"))); // innermost first
        Assert.Equal([3, 2, 1, 0], activations.Select(i => Int(snapshot, i, "depth"))); // each activation its own local
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_exception_passing_a_false_when_filter_escapes_with_the_frames_values(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        var next = 201;
        var (_, snapshot) = await DriveUntilReplayAsync(session, () => $"/filtered/{next += 2}", frames => frames.Contains("Filtered"));
        var code = Int(snapshot, Frame(snapshot, "Filtered"), "code");
        Assert.Equal(code, Int(snapshot, Frame(snapshot, "Lookup"), "code"));
        Assert.Equal($"no entry for code {code}", Attribute(snapshot, "exception.message"));
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_exception_caught_inside_the_app_hooks_nothing(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        for (var n = 1; n < 12; n += 2)
        {
            using var response = await session.Http.GetAsync($"/caught/{n}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        // A failure that escapes after them is noticed (so the detector is working), and its hooks name no Caught.
        await FailAsync(session, "/filtered/999");
        await session.WaitForLogAsync("KeyNotFoundException");
        await session.WaitForLogAsync("exception replay: hooking");
        Assert.DoesNotContain("CheckoutEndpoints.Caught", session.App.Log, StringComparison.Ordinal);
        foreach (var row in (await ExceptionsAsync(session)).Select(r => r!["where"]!.GetValue<string>()))
        {
            Assert.DoesNotContain("Caught", row, StringComparison.Ordinal);
        }
    }

    // Sends failing requests (each with its own values) until the server lists a new Exception Replay snapshot whose
    // frames match: the first failure hooks the frames, a later one is captured.
    private static async Task<(string Fingerprint, JsonObject Snapshot)> DriveUntilReplayAsync(WebShopSession session, Func<string> nextPath,
        Func<IReadOnlyList<string>, bool> matches)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            await FailAsync(session, nextPath());
            foreach (var row in await ExceptionsAsync(session))
            {
                var fingerprint = row!["fingerprint"]!.GetValue<string>();
                var snapshots = await SnapshotsAsync(session, fingerprint);
                var snapshot = snapshots[0]!.AsObject();
                var methods = ((JsonArray)snapshot["frames"]!).Select(f => f!["methodName"]!.GetValue<string>()).ToList();
                if (matches(methods)) return (fingerprint, snapshot);
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"no Exception Replay snapshot arrived; {session.App.Tail}");
    }

    private static async Task FailAsync(WebShopSession session, string path)
    {
        using var response = await session.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    private static async Task<JsonArray> ExceptionsAsync(WebShopSession session)
    {
        using var http = new HttpClient { BaseAddress = session.Server.HttpAddress };
        return (JsonArray)JsonNode.Parse(await http.GetStringAsync("/api/exceptions"))!["exceptions"]!;
    }

    private static async Task<JsonArray> SnapshotsAsync(WebShopSession session, string fingerprint)
    {
        using var http = new HttpClient { BaseAddress = session.Server.HttpAddress };
        return (JsonArray)JsonNode.Parse(await http.GetStringAsync($"/api/exceptions/{fingerprint}"))!["snapshots"]!;
    }

    private static int Frame(JsonObject snapshot, string method)
    {
        var frames = (JsonArray)snapshot["frames"]!;
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i]!["methodName"]!.GetValue<string>() == method) return i;
        }
        throw new Xunit.Sdk.XunitException($"no frame {method} in {snapshot.ToJsonString()}");
    }

    private static JsonObject Variable(JsonObject snapshot, int frame, string name)
    {
        var reference = ((JsonArray?)snapshot["frames"]![frame]!["variables"] ?? []).FirstOrDefault(v => v!["name"]!.GetValue<string>() == name)
            ?? throw new Xunit.Sdk.XunitException($"frame {frame} has no variable {name}: {snapshot.ToJsonString()}");
        return snapshot["varLookup"]![reference["ID"]!.GetValue<string>()]!.AsObject();
    }

    private static List<string> Names(JsonObject snapshot, int frame) =>
        ((JsonArray?)snapshot["frames"]![frame]!["variables"] ?? []).Select(v => v!["name"]!.GetValue<string>()).ToList();

    private static bool HasVariable(JsonObject snapshot, int frame, string name) => Names(snapshot, frame).Contains(name);

    private static int Int(JsonObject snapshot, int frame, string name) =>
        int.Parse(Variable(snapshot, frame, name)["value"]!.GetValue<string>(), CultureInfo.InvariantCulture);

    // A field of an object variable (an auto-property's backing field is shown under the property's name).
    private static string? Member(JsonObject snapshot, int frame, string name, string member)
    {
        var children = (JsonArray?)Variable(snapshot, frame, name)["children"] ?? [];
        var reference = children.FirstOrDefault(c => c!["name"]!.GetValue<string>() == member);
        return reference is null ? null : snapshot["varLookup"]![reference["ID"]!.GetValue<string>()]!["value"]?.GetValue<string>();
    }

    private static JsonObject Watch(JsonObject snapshot, string expression)
    {
        var watch = ((JsonArray)snapshot["watches"]!).First(w => w!["expression"]!.GetValue<string>() == expression)!;
        return snapshot["varLookup"]![watch["goodResult"]!["ID"]!.GetValue<string>()]!.AsObject();
    }

    private static string? Attribute(JsonObject snapshot, string key)
    {
        var kv = ((JsonArray)snapshot["attributes"]!).FirstOrDefault(a => a!["key"]!.GetValue<string>() == key);
        return kv?["value"]!.AsObject().FirstOrDefault().Value?.ToString();
    }
}
