using Shop;

// Processes a stream of random orders until stopped (or for --seconds N).
var seconds = args.Length >= 2 && args[0] == "--seconds" && int.TryParse(args[1], out var s) ? s : int.MaxValue;
var random = new Random(42);
var service = new OrderService();
string[] names = ["Ada", "Grace", "Linus", "Barbara", "Ken"];
string[] tiers = ["gold", "silver", "bronze"];
string[] skus = ["BOOK-1", "MUG-7", "PEN-3", "LAMP-2"];
var stopAt = DateTime.UtcNow.AddSeconds(Math.Min(seconds, 10_000_000));
Console.WriteLine($"shop: processing orders (pid {Environment.ProcessId})");
if (Environment.GetEnvironmentVariable("SHOP_PRINT_TELEMETRY") == "1") Telemetry.PrintDeepTelemetry();
for (var id = 1; DateTime.UtcNow < stopAt; id++)
{
    var name = names[random.Next(names.Length)];
    var order = new Order { Id = id, Customer = new Customer(name, $"{name.ToLowerInvariant()}@example.com", tiers[random.Next(tiers.Length)]) };
    for (var i = random.Next(1, 4); i > 0; i--)
    {
        order.Lines.Add(new OrderLine { Sku = skus[random.Next(skus.Length)], Quantity = random.Next(1, 5), UnitPrice = random.Next(5, 80) });
    }
    try
    {
        var total = service.PlaceOrder(order);
        if (id % 20 == 0) Console.WriteLine($"shop: {service.Processed} orders processed, last total {total}");
    }
    catch (InvalidOperationException e)
    {
        Console.WriteLine($"shop: rejected: {e.Message}");
    }
    Thread.Sleep(100);
}
