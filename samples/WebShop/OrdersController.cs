using Microsoft.AspNetCore.Mvc;

namespace WebShop;

/// <summary>The answer of <c>GET /orders/{orderId}?customer=name</c>.</summary>
public sealed record OrderSummary(int OrderId, string Customer, int ItemId, int Quantity, int Total, string Reference);

/// <summary>Orders, as an MVC controller: an order's item and quantity follow from its id.</summary>
[ApiController]
[Route("orders")]
public sealed class OrdersController(PriceList prices, RequestStats stats) : ControllerBase
{
    [HttpGet("{orderId:int}")]
    public ActionResult<OrderSummary> Get(int orderId, [FromQuery] string customer = "guest")
    {
        if (orderId <= 0) return NotFound();
        int itemId = orderId % 100 + 1;
        int quantity = orderId % 12 + 1;
        var quote = prices.Quote(itemId, quantity);
        string reference = $"{customer}-{orderId}";
        stats.Record();
        return new OrderSummary(orderId, customer, itemId, quantity, quote.Total, reference); // @order-return
    }
}
