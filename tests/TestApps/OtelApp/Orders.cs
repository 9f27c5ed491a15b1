namespace OtelApp;

public static class Orders
{
    public static int Total(int n)
    {
        var total = n * 10; // @otel-span
        return total + 1; // @otel-snapshot
    }
}
