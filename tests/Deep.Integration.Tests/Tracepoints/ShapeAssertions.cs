using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

/// <summary>Helpers of the issue-6 shape tests (generics, members, iterators, plugins).</summary>
internal static class ShapeAssertions
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static JsonObject Frame(Snapshot snapshot) => snapshot.Json["frames"]!.AsArray()[0]!.AsObject();

    /// <summary>The value text of a member (field or auto-property, shown by its source name) of a frame variable.</summary>
    public static string? Member(this Snapshot snapshot, string variable, string member)
    {
        var reference = (Frame(snapshot)["variables"]?.AsArray() ?? []).FirstOrDefault(v => v!["name"]!.GetValue<string>() == variable);
        if (reference is null)
        {
            return null;
        }
        var parent = snapshot.Json["varLookup"]?[reference["ID"]!.GetValue<string>()];
        var child = (parent?["children"]?.AsArray() ?? []).FirstOrDefault(c => c!["name"]!.GetValue<string>() == member);
        return child is null ? null : snapshot.Json["varLookup"]?[child["ID"]!.GetValue<string>()]?["value"]?.GetValue<string>();
    }

    /// <summary>Runs <paramref name="asserts"/>; a failure carries the snapshot so it says what did arrive.</summary>
    public static void Check(this Snapshot snapshot, Action<Snapshot> asserts)
    {
        try
        {
            asserts(snapshot);
        }
        catch (Exception e) when (e is Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException(e.Message + "\nsnapshot: " + snapshot);
        }
    }

    /// <summary>The states the agents reported for a tracepoint (pending, installed, error...), with their details.</summary>
    public static async Task<IReadOnlyList<(string State, string Detail)>> StatusAsync(this AppSession session, string tracepointId)
    {
        var body = await Http.GetStringAsync(new Uri(session.Server.HttpAddress, $"/api/status?tracepoint={tracepointId}"));
        return (JsonNode.Parse(body)!["agents"]?.AsArray() ?? [])
            .SelectMany(a => a!["tracepoints"]!.AsArray())
            .Where(t => t!["id"]!.GetValue<string>() == tracepointId)
            .Select(t => (t!["state"]!.GetValue<string>(), t["detail"]?.GetValue<string>() ?? ""))
            .ToList();
    }

    /// <summary>Waits until the tracepoint's reported state is one of <paramref name="states"/> (comma-separated).</summary>
    public static async Task WaitForStateAsync(this AppSession session, string tracepointId, string states, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        IReadOnlyList<(string State, string Detail)> seen = [];
        while (DateTime.UtcNow < deadline)
        {
            seen = await session.StatusAsync(tracepointId);
            if (seen.Any(s => states.Split(',').Contains(s.State, StringComparer.OrdinalIgnoreCase)))
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"tracepoint {tracepointId} never reached state {states}; reported: {string.Join("; ", seen.Select(s => s.State + " " + s.Detail))}\nthe app said:\n{session.App.Log}");
    }
}
