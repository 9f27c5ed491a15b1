namespace Shop;

public sealed class OrderService
{
    private readonly Dictionary<string, decimal> _discounts = new() { ["gold"] = 0.10m, ["silver"] = 0.05m };
    private int _processed;

    public decimal PlaceOrder(Order order)
    {
        var subtotal = 0m;
        foreach (var line in order.Lines)
        {
            subtotal += line.Quantity * line.UnitPrice;
        }
        var discount = _discounts.TryGetValue(order.Customer.Tier, out var rate) ? subtotal * rate : 0m;
        var total = subtotal - discount;
        if (total > 500m)
        {
            order.Status = OrderStatus.Rejected;
            throw new InvalidOperationException($"order {order.Id} over the credit limit: {total}");
        }
        order.Status = OrderStatus.Paid;
        _processed++;
        return total;
    }

    public int Processed => _processed;
}
