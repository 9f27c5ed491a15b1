using System.Runtime.CompilerServices;

namespace WebShop;

/// <summary>An order being checked out (what the failing calls pass along).</summary>
public sealed class Checkout(int orderId, int quantity)
{
    public int OrderId { get; } = orderId;
    public int Quantity { get; } = quantity;
    public string Customer { get; } = $"customer-{orderId}";
}

/// <summary>
/// Endpoints that fail three calls deep for some inputs (an odd order id, a quantity over the limit): what Exception
/// Replay is for. Each failure carries the request's own values in every frame, so a snapshot shows whether its
/// frames came from one request. Used by tests/Deep.Integration.Tests/Web/ExceptionReplayTests.cs.
/// </summary>
public static class CheckoutEndpoints
{
    private const int Limit = 100;

    /// <summary><c>GET /checkout/{orderId}?quantity=N</c>: synchronous frames Place, Price, Check.</summary>
    public static IResult Place(int orderId, int quantity)
    {
        var checkout = new Checkout(orderId, quantity);
        var total = Price(checkout, unitPrice: 7 + orderId % 3);
        return Results.Ok(new { orderId, total, checkout.Customer });
    }

    // Each frame has locals that depend on the request (used twice, so a Release build keeps them in slots too).
    private static int Price(Checkout checkout, int unitPrice)
    {
        var subtotal = checkout.Quantity * unitPrice;
        if (checkout.Quantity > 1)
        {
            // A scope that ends before the call that fails: `discount` is not in scope where the exception passes.
            var discount = subtotal / 10;
            if (discount > 0) subtotal -= discount;
        }
        if (subtotal >= 0)
        {
            // In scope where the exception passes (declared after `discount`'s scope ended).
            var total = subtotal + checkout.Quantity;
            Check(checkout.OrderId, total);
            return total;
        }
        return 0;
    }

    // NoInlining: a Release build would inline these small methods into their callers, and an inlined method has no
    // frame of its own in a stack trace (in any debugger); the tests want the three frames in both builds.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Check(int orderId, int total)
    {
        var limit = Limit + orderId % 10;
        if (total > limit || orderId % 2 == 1)
        {
            throw new InvalidOperationException($"order {orderId}: total {total} refused (limit {limit})");
        }
    }

    /// <summary><c>GET /checkout-async/{orderId}?quantity=N</c>: the same with an await between the frames.</summary>
    public static async Task<IResult> PlaceAsync(int orderId, int quantity)
    {
        var checkout = new Checkout(orderId, quantity);
        await Task.Yield();
        var total = await PriceAsync(checkout, 7 + orderId % 3);
        return Results.Ok(new { orderId, total });
    }

    private static async Task<int> PriceAsync(Checkout checkout, int unitPrice)
    {
        await Task.Yield();
        var total = checkout.Quantity * unitPrice;
        await CheckAsync(checkout.OrderId, total);
        return total;
    }

    private static async Task CheckAsync(int orderId, int total)
    {
        await Task.Yield();
        Check(orderId, total);
    }

    /// <summary><c>GET /countdown/{n}</c>: a recursive method that fails at the bottom for an odd <c>n</c>.</summary>
    public static IResult Countdown(int n) => Results.Ok(new { left = CountDown(n, n) });

    private static int CountDown(int start, int n)
    {
        var depth = start - n;
        if (n == 0)
        {
            if (start % 2 == 1) throw new ArgumentException($"countdown from {start} reached the bottom at depth {depth}");
            return depth - start;
        }
        return CountDown(start, n - 1) + 1;
    }

    /// <summary>
    /// <c>GET /filtered/{code}</c>: a handler whose <c>catch ... when</c> only takes negative codes, so a positive code's
    /// exception passes through it and escapes.
    /// </summary>
    public static IResult Filtered(int code)
    {
        try
        {
            return Results.Ok(new { code, answer = Lookup(code) });
        }
        catch (KeyNotFoundException e) when (code < 0)
        {
            return Results.Ok(new { code, answer = e.Message });
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Lookup(int code) => code % 2 == 0 ? "even" : throw new KeyNotFoundException($"no entry for code {code}");

    /// <summary><c>GET /caught/{n}</c>: fails inside and handles it inside, so nothing escapes.</summary>
    public static IResult Caught(int n)
    {
        try
        {
            Check(n, n);
            return Results.Ok(new { n, ok = true });
        }
        catch (InvalidOperationException)
        {
            return Results.Ok(new { n, ok = false });
        }
    }
}
