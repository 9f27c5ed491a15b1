namespace WebShop;

/// <summary>A price quote for a quantity of one item; all amounts in cents.</summary>
public sealed record Quote(int ItemId, int Quantity, int UnitPrice, int Total);

/// <summary>Prices items (a singleton service the endpoints and the controller share).</summary>
public sealed class PriceList
{
    /// <summary>The unit price depends only on the item; ten or more items get 10% off.</summary>
    public Quote Quote(int itemId, int quantity)
    {
        int unitPrice = 100 + itemId % 7 * 25;
        int subtotal = unitPrice * quantity;
        int discount = quantity >= 10 ? subtotal / 10 : 0;
        return new Quote(itemId, quantity, unitPrice, subtotal - discount); // @quote-total
    }
}
