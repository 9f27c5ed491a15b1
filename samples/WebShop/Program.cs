using WebShop;

// Usage: dotnet WebShop.dll [--urls http://127.0.0.1:0] [--ExitOnStdinEof true]
// Prints "webshop: listening on <address>" once it accepts requests (port 0 picks a free port).
var builder = WebApplication.CreateBuilder(args);
// No log line per request: the service's own work is what a benchmark of it should measure.
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
builder.Services.AddSingleton<PriceList>();
builder.Services.AddSingleton<RequestStats>();
builder.Services.AddHostedService<StatsPublisher>();
builder.Services.AddControllers();

var app = builder.Build();
app.MapGet("/ping", () => "pong");
app.MapGet("/quote/{itemId:int}", QuoteEndpoints.GetQuoteAsync);
app.MapGet("/stats", (RequestStats stats) => stats.Latest);
app.MapControllers();
app.MapGet("/checkout/{orderId:int}", CheckoutEndpoints.Place);
app.MapGet("/checkout-async/{orderId:int}", CheckoutEndpoints.PlaceAsync);
app.MapGet("/countdown/{n:int}", CheckoutEndpoints.Countdown);
app.MapGet("/filtered/{code:int}", CheckoutEndpoints.Filtered);
app.MapGet("/caught/{n:int}", CheckoutEndpoints.Caught);

await app.StartAsync();
Console.WriteLine("webshop: listening on " + string.Join(' ', app.Urls));
if (app.Configuration.GetValue<bool>("ExitOnStdinEof"))
{
    // Whoever started us (a test, a benchmark) stops us by closing our standard input.
    _ = Task.Run(async () =>
    {
        while (await Console.In.ReadLineAsync() is not null)
        {
        }
        await app.StopAsync();
    });
}
await app.WaitForShutdownAsync();
