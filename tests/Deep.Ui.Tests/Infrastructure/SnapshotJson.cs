using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Deep.Ui.Tests.Infrastructure;

/// <summary>
/// Snapshots as an agent would send them (protobuf JSON): an order with a customer that points back to the order
/// (a cycle), a redacted password, a truncated list, watches that succeeded and failed.
/// </summary>
internal static class SnapshotJson
{
    /// <summary>The customer's name, three levels down: order → Customer → Name.</summary>
    public const string CustomerName = "Ada Lovelace";

    /// <summary>The service the snapshot comes from.</summary>
    public const string Service = "shop-under-test";

    /// <summary>The size the truncated list really had.</summary>
    public const string LinesSummary = "List of size: 250";

    /// <summary>A failing watch's error text.</summary>
    public const string WatchError = "'Order' has no field or property 'Discount'";

    /// <summary>A snapshot for <paramref name="tracepoint"/> (the tracepoint JSON as the server returned it).</summary>
    public static (string Json, string HexId) OrderSnapshot(JsonNode tracepoint)
    {
        var id = RandomNumberGenerator.GetBytes(16);
        var tpId = tracepoint["ID"]!.GetValue<string>();
        var path = tracepoint["path"]!.GetValue<string>();
        var line = tracepoint["lineNumber"]?.GetValue<int>() ?? 0;
        var nowNanos = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);

        static JsonObject Ref(string id, string name, string[]? modifiers = null, string? originalName = null)
        {
            var o = new JsonObject { ["ID"] = id, ["name"] = name };
            if (modifiers is not null) o["modifiers"] = new JsonArray(modifiers.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray());
            if (originalName is not null) o["originalName"] = originalName;
            return o;
        }
        static JsonObject Var(string type, string value, string hash, params JsonObject[] children)
        {
            var o = new JsonObject { ["type"] = type, ["value"] = value, ["hash"] = hash };
            if (children.Length > 0) o["children"] = new JsonArray(children);
            return o;
        }
        static JsonObject Attr(string key, string value) => new() { ["key"] = key, ["value"] = new JsonObject { ["stringValue"] = value } };

        var lookup = new JsonObject
        {
            ["1"] = Var("Shop.OrderService", "Shop.OrderService", "1001", Ref("2", "_repository", ["private", "readonly"])),
            ["2"] = Var("Shop.OrderRepository", "Shop.OrderRepository", "1002"),
            ["3"] = Var("Shop.Order", "Shop.Order", "1003",
                Ref("4", "Id", ["public"], "<Id>k__BackingField"),
                Ref("5", "Customer", ["public"], "<Customer>k__BackingField"),
                Ref("6", "Lines", ["public"], "<Lines>k__BackingField")),
            ["4"] = Var("int", "42", ""),
            ["5"] = Var("Shop.Customer", "Shop.Customer", "1005",
                Ref("7", "Name", ["public"]),
                Ref("8", "Password", ["public"]),
                Ref("3", "LastOrder", ["public"])),
            ["7"] = Var("string", CustomerName, "1007"),
            ["8"] = Var("string", "[redacted]", ""),
            ["6"] = Var("List<Shop.OrderLine>", LinesSummary, "1006", Ref("9", "[0]")),
            ["9"] = Var("Shop.OrderLine", "Shop.OrderLine", "1009", Ref("10", "Sku", ["public"])),
            ["10"] = Var("string", "SKU-0001", "1010"),
        };
        lookup["6"]!["truncated"] = true;

        var snapshot = new JsonObject
        {
            ["ID"] = Convert.ToBase64String(id),
            ["tracepoint"] = tracepoint.DeepClone(),
            ["varLookup"] = lookup,
            ["tsNanos"] = nowNanos,
            ["frames"] = new JsonArray(
                new JsonObject
                {
                    ["fileName"] = "/build/src/Shop/" + Path.GetFileName(path), ["methodName"] = "PlaceOrder", ["lineNumber"] = line,
                    ["className"] = "Shop.OrderService", ["appFrame"] = true, ["shortPath"] = "Shop/" + Path.GetFileName(path),
                    ["variables"] = new JsonArray(Ref("1", "this"), Ref("3", "order")),
                },
                new JsonObject
                {
                    ["fileName"] = "/build/src/Shop/Program.cs", ["methodName"] = "Main", ["lineNumber"] = 12,
                    ["className"] = "Shop.Program", ["isAsync"] = true, ["appFrame"] = true, ["shortPath"] = "Shop/Program.cs",
                }),
            ["watches"] = new JsonArray(
                new JsonObject { ["expression"] = "order.Customer", ["goodResult"] = Ref("5", "order.Customer"), ["source"] = "WATCH" },
                new JsonObject { ["expression"] = "order.Discount", ["errorResult"] = WatchError, ["source"] = "WATCH" }),
            ["attributes"] = new JsonArray(Attr("tracepoint", tpId), Attr("path", path), Attr("stage", "line_start"), Attr("thread_name", "worker-7")),
            ["durationNanos"] = "123456",
            ["resource"] = new JsonArray(Attr("service.name", Service), Attr("host.name", "test-host")),
            ["logMsg"] = "[deep] placing order 42",
        };
        return (snapshot.ToJsonString(new JsonSerializerOptions { WriteIndented = false }), Convert.ToHexStringLower(id));
    }
}
