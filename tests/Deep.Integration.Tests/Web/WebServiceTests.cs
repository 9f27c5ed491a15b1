using System.Globalization;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;
using Deep.Integration.Tests.Tracepoints;

namespace Deep.Integration.Tests.Web;

/// <summary>
/// Tracepoints in an ASP.NET Core service (samples/WebShop) under concurrent requests: in an async minimal-API
/// handler, in a controller action and in a DI service both call. Each snapshot must carry the values of the request
/// that produced it (never another request's), every request must still answer correctly, and removing a tracepoint
/// must stop its snapshots.
/// </summary>
/// <remarks>
/// Release builds are the case that matters for the controller: MVC calls an action through a compiled expression (a
/// DynamicMethod, <c>lambda_method</c>), compiled before any tracepoint exists (the session serves every endpoint
/// first). A DynamicMethod cannot be ReJIT'd, so the profiler keeps application methods from being inlined into one
/// (JITInlining); before it did, the small action (with <c>PriceList.Quote</c>) was inlined there in Release and its
/// tracepoints never fired.
/// </remarks>
[Collection(EndToEndCollection.Name)]
public sealed class WebServiceTests(WebShopFixture fixture) : IClassFixture<WebShopFixture>
{
    private const int Concurrent = 40;
    private const int Installing = 9999; // the item of the requests sent until a new tracepoint fires
    private static readonly Dictionary<string, string> EveryHit = new() { ["fire_count"] = "-1", ["fire_period"] = "0" };

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_async_endpoint_snapshot_shows_the_hoisted_locals_of_the_request_that_hit_it(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        var id = await session.Api.CreateAsync("QuoteEndpoints.cs", WebShopSession.Line("QuoteEndpoints.cs", "quote-after-await"), EveryHit);
        try
        {
            await session.DriveUntilAsync(id, () => session.GetQuoteAsync(1, 1), s => s.Count >= 1);

            // Item ids 1000+ mark this burst; the quantity varies so that a value taken from another request shows.
            var requests = Enumerable.Range(0, Concurrent).Select(i => (ItemId: 1000 + i, Quantity: i % 15 + 1)).ToList();
            var answers = await Task.WhenAll(requests.Select(r => session.GetQuoteAsync(r.ItemId, r.Quantity)));
            for (int i = 0; i < requests.Count; i++)
            {
                AssertQuote(answers[i], requests[i].ItemId, requests[i].Quantity);
            }

            await session.WaitForSnapshotsAsync(id, s => FromBurst(s).Count >= Concurrent);
            await session.SettledCountAsync(id);
            var snapshots = FromBurst(await session.Api.SnapshotsAsync(id));
            Assert.Equal(requests.Select(r => r.ItemId).Order(), snapshots.Select(s => Int(s, "itemId")).Order()); // each request once
            foreach (var snapshot in snapshots)
            {
                snapshot.Check(s =>
                {
                    int itemId = Int(s, "itemId"), quantity = (itemId - 1000) % 15 + 1;
                    Assert.Equal(quantity.ToString(CultureInfo.InvariantCulture), s.Value("quantity"));
                    Assert.Equal($"item-{itemId}x{quantity}", s.Value("tag")); // a hoisted local, by its source name
                    Assert.Equal(Total(itemId, quantity).ToString(CultureInfo.InvariantCulture), s.Member("quote", "Total"));
                    Assert.Equal("GetQuoteAsync", s.MethodName);
                    Assert.True(s.IsAsync());
                    Assert.DoesNotContain(s.Names, n => n.Contains('<', StringComparison.Ordinal));
                });
            }
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")] // the action is called through MVC's DynamicMethod: see the remarks above
    public async Task A_controller_action_snapshot_matches_its_request_and_the_condition(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        var args = new Dictionary<string, string>(EveryHit) { ["condition"] = "orderId % 2 == 0 && customer.StartsWith(\"c\")" };
        var id = await session.Api.CreateAsync("OrdersController.cs", WebShopSession.Line("OrdersController.cs", "order-return"), args);
        try
        {
            await session.DriveUntilAsync(id, () => session.GetOrderAsync(2, "c2"), s => s.Count >= 1);

            var orderIds = Enumerable.Range(2000, Concurrent).ToList();
            var answers = await Task.WhenAll(orderIds.Select(o => session.GetOrderAsync(o, "c" + o)));
            for (int i = 0; i < orderIds.Count; i++)
            {
                AssertOrder(answers[i], orderIds[i], "c" + orderIds[i]);
            }

            var even = orderIds.Where(o => o % 2 == 0).ToList();
            await session.WaitForSnapshotsAsync(id, s => FromBurst(s, "orderId", 2000).Count >= even.Count);
            await session.SettledCountAsync(id);
            var snapshots = FromBurst(await session.Api.SnapshotsAsync(id), "orderId", 2000);
            Assert.Equal(even, snapshots.Select(s => Int(s, "orderId")).Order()); // the odd ones did not fire
            foreach (var snapshot in snapshots)
            {
                snapshot.Check(s =>
                {
                    int orderId = Int(s, "orderId"), itemId = orderId % 100 + 1, quantity = orderId % 12 + 1;
                    Assert.Equal("c" + orderId, s.Value("customer"));
                    Assert.Equal($"c{orderId}-{orderId}", s.Value("reference"));
                    Assert.Equal(itemId, Int(s, "itemId"));
                    Assert.Equal(quantity, Int(s, "quantity"));
                    Assert.Equal(Total(itemId, quantity).ToString(CultureInfo.InvariantCulture), s.Member("quote", "Total"));
                    Assert.Equal("OrdersController", s.Type("this"));
                    Assert.Equal("Get", s.MethodName);
                });
            }
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_service_method_called_by_endpoint_and_controller_at_once_snapshots_each_call_until_removed(string configuration)
    {
        var session = await fixture.GetAsync(configuration);
        var id = await session.Api.CreateAsync("PriceList.cs", WebShopSession.Line("PriceList.cs", "quote-total"), EveryHit);
        var removed = false;
        try
        {
            await session.DriveUntilAsync(id, () => session.GetQuoteAsync(Installing, 1), s => s.Count >= 1);

            // Quotes for items 3000+ and orders 3001.. (items 2..41) run interleaved: both call PriceList.Quote, the
            // controller through MVC's DynamicMethod (see the remarks above).
            var quotes = Enumerable.Range(0, Concurrent).Select(i => (ItemId: 3000 + i, Quantity: i % 13 + 1)).ToList();
            var orders = Enumerable.Range(3001, Concurrent).ToList();
            var quoteAnswers = quotes.Select(q => session.GetQuoteAsync(q.ItemId, q.Quantity)).ToList();
            var orderAnswers = orders.Select(o => session.GetOrderAsync(o, "svc")).ToList();
            await Task.WhenAll(quoteAnswers.Concat(orderAnswers));
            for (int i = 0; i < Concurrent; i++)
            {
                AssertQuote(await quoteAnswers[i], quotes[i].ItemId, quotes[i].Quantity);
                AssertOrder(await orderAnswers[i], orders[i], "svc");
            }

            var expected = quotes.Select(q => (q.ItemId, q.Quantity)).Concat(orders.Select(o => (ItemId: o % 100 + 1, Quantity: o % 12 + 1))).Order().ToList();
            static bool FromThisBurst(Snapshot s) => Int(s, "itemId") != Installing;
            await session.WaitForSnapshotsAsync(id, s => s.Count(FromThisBurst) >= expected.Count);
            await session.SettledCountAsync(id);
            var snapshots = (await session.Api.SnapshotsAsync(id)).Where(FromThisBurst).ToList();
            Assert.Equal(expected, snapshots.Select(s => (Int(s, "itemId"), Int(s, "quantity"))).Order()); // each call once
            foreach (var snapshot in snapshots)
            {
                snapshot.Check(s =>
                {
                    int itemId = Int(s, "itemId"), quantity = Int(s, "quantity"), unitPrice = 100 + itemId % 7 * 25;
                    Assert.Equal(unitPrice, Int(s, "unitPrice"));
                    Assert.Equal(unitPrice * quantity, Int(s, "subtotal"));
                    Assert.Equal(quantity >= 10 ? unitPrice * quantity / 10 : 0, Int(s, "discount"));
                    Assert.Equal("PriceList", s.Type("this"));
                });
            }

            // Removal: once a tracepoint created after the delete fires (in the background service, which runs
            // without requests), the agent has applied a configuration without the deleted one.
            await session.Api.DeleteAsync(id);
            removed = true;
            var marker = await session.Api.CreateAsync("RequestStats.cs", WebShopSession.Line("RequestStats.cs", "stats-published"));
            try
            {
                var published = (await session.WaitForSnapshotsAsync(marker, s => s.Count >= 1))[0];
                Assert.Equal("ExecuteAsync", published.MethodName);
                Assert.NotNull(published.Value("peakPerSecond")); // a hoisted local of the background service's loop
            }
            finally
            {
                await session.Api.DeleteAsync(marker);
            }
            int before = await session.SettledCountAsync(id);
            var after = await Task.WhenAll(quotes.Select(q => session.GetQuoteAsync(q.ItemId, q.Quantity)));
            for (int i = 0; i < Concurrent; i++)
            {
                AssertQuote(after[i], quotes[i].ItemId, quotes[i].Quantity);
            }
            Assert.Equal(before, await session.SettledCountAsync(id));
        }
        finally
        {
            if (!removed) await session.Api.DeleteAsync(id);
        }
    }

    /// <summary>The sample's price rule (samples/WebShop/PriceList.cs), in cents.</summary>
    private static int Total(int itemId, int quantity)
    {
        int subtotal = (100 + itemId % 7 * 25) * quantity;
        return quantity >= 10 ? subtotal - subtotal / 10 : subtotal;
    }

    private static void AssertQuote(JsonObject answer, int itemId, int quantity)
    {
        Assert.Equal(itemId, answer["itemId"]!.GetValue<int>());
        Assert.Equal(quantity, answer["quantity"]!.GetValue<int>());
        Assert.Equal(Total(itemId, quantity), answer["total"]!.GetValue<int>());
        Assert.Equal($"item-{itemId}x{quantity}", answer["tag"]!.GetValue<string>());
    }

    private static void AssertOrder(JsonObject answer, int orderId, string customer)
    {
        int itemId = orderId % 100 + 1, quantity = orderId % 12 + 1;
        Assert.Equal(orderId, answer["orderId"]!.GetValue<int>());
        Assert.Equal(itemId, answer["itemId"]!.GetValue<int>());
        Assert.Equal(quantity, answer["quantity"]!.GetValue<int>());
        Assert.Equal(Total(itemId, quantity), answer["total"]!.GetValue<int>());
        Assert.Equal($"{customer}-{orderId}", answer["reference"]!.GetValue<string>());
    }

    private static int Int(Snapshot snapshot, string name) =>
        int.Parse(snapshot.Value(name) ?? throw new Xunit.Sdk.XunitException($"no variable {name} in {snapshot}"), CultureInfo.InvariantCulture);

    /// <summary>The snapshots whose <paramref name="name"/> is at least <paramref name="from"/> (this test's requests).</summary>
    private static List<Snapshot> FromBurst(IReadOnlyList<Snapshot> snapshots, string name = "itemId", int from = 1000) =>
        snapshots.Where(s => Int(s, name) >= from).ToList();
}
