namespace Shop;

public enum OrderStatus { New, Paid, Shipped, Rejected }

public sealed record Customer(string Name, string Email, string Tier);

public sealed class OrderLine
{
    public required string Sku { get; init; }
    public int Quantity { get; init; }
    public decimal UnitPrice { get; init; }
}

public sealed class Order
{
    public int Id { get; init; }
    public required Customer Customer { get; init; }
    public List<OrderLine> Lines { get; } = new();
    public OrderStatus Status { get; set; } = OrderStatus.New;
    public string PaymentToken { get; init; } = "tok_" + Guid.NewGuid().ToString("N")[..12];
}
