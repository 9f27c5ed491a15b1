namespace WebShop;

/// <summary>The answer of <c>GET /quote/{itemId}?quantity=N</c>.</summary>
public sealed record QuoteResponse(int ItemId, int Quantity, int UnitPrice, int Total, string Tag);

/// <summary>Minimal-API handlers.</summary>
public static class QuoteEndpoints
{
    /// <summary>Quotes <paramref name="quantity"/> of an item; the await stands for the I/O a real service would do.</summary>
    public static async Task<IResult> GetQuoteAsync(int itemId, PriceList prices, RequestStats stats, int quantity = 1)
    {
        if (quantity <= 0) return Results.BadRequest("quantity must be positive");
        string tag = $"item-{itemId}x{quantity}";
        await Task.Yield();
        var quote = prices.Quote(itemId, quantity);
        stats.Record();
        return Results.Ok(new QuoteResponse(itemId, quantity, quote.UnitPrice, quote.Total, tag)); // @quote-after-await
    }
}
