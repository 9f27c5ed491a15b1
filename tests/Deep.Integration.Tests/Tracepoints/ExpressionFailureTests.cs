using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// An expression that does not bind at the probed line fails alone, in the real app under `deep run`: the snapshot
// has the good watches' values and the bad watch's error_result, the log line renders `{name: reason}`, and the
// probe status names the failed expression. In the Release build the compiler removed the local `rounded` of
// Calculator.Scale (it lives only on the evaluation stack), which is the case this exists for.
[Collection(EndToEndCollection.Name)]
public sealed class ExpressionFailureTests
{
    private const string File = "Scenarios.cs";

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_watch_or_log_part_that_does_not_bind_fails_alone_and_the_status_says_why(string configuration)
    {
        var release = configuration == "Release";
        var session = await AppSession.GetAsync(configuration);
        string[] watches = ["value", "rounded", "factor * 2", "notInScope", "scaled.GetHashCode()"];
        var id = await session.Api.CreateAsync(File, AppSession.Line("scale-return"),
            new Dictionary<string, string>
            {
                ["fire_count"] = "-1",
                ["fire_period"] = "0",
                ["log_msg"] = "expr-failure value={value} rounded={rounded} missing={notInScope}",
            },
            watches);
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => session.App.Call("scale", 8), s => s.Count >= 2);
            Assert.All(snapshots.Take(2), s => s.Check(snapshot =>
            {
                // The rest of the snapshot is captured.
                Assert.Equal("8", snapshot.Value("value"));
                Assert.Equal("1.5", snapshot.Value("factor"));
                Assert.Equal("12", snapshot.Value("scaled"));
                Assert.Equal(("8", null), Watch(snapshot, "value"));
                Assert.Equal(("3", null), Watch(snapshot, "factor * 2"));
                Assert.StartsWith("unknown name 'notInScope' (at position 1)", Watch(snapshot, "notInScope").Error, StringComparison.Ordinal);
                Assert.Contains("'GetHashCode' is not allowed", Watch(snapshot, "scaled.GetHashCode()").Error, StringComparison.Ordinal);
                if (release)
                {
                    Assert.DoesNotContain("rounded", snapshot.Names);
                    Assert.StartsWith("unknown name 'rounded' (at position 1)", Watch(snapshot, "rounded").Error, StringComparison.Ordinal);
                }
                else
                {
                    Assert.Equal(("12", null), Watch(snapshot, "rounded"));
                }
            }));

            // The log line is written, with each failed part as `{expression: reason}`.
            var rounded = release ? "{rounded: unknown name 'rounded' (at position 1)}" : "12";
            var expected = $"[deep] expr-failure value=8 rounded={rounded} missing={{notInScope: unknown name 'notInScope' (at position 1)}}";
            await session.WaitForLogAsync(log => log.Contains(expected, StringComparison.Ordinal), "the log line with its failed parts");
            Assert.Equal(expected["[deep] ".Length..], snapshots[0].Json["logMsg"]!.GetValue<string>());

            // The probe status says which expressions failed and why; in Release, that the compiler may have removed the local.
            var detail = await FailedExpressionsAsync(session, id);
            Assert.Contains("watch 'notInScope': unknown name 'notInScope'", detail, StringComparison.Ordinal);
            Assert.Contains("watch 'scaled.GetHashCode()': ", detail, StringComparison.Ordinal);
            Assert.Contains("log_msg part '{notInScope}': unknown name 'notInScope'", detail, StringComparison.Ordinal);
            const string removed = "(the method is optimized, a Release build: the compiler may have removed this local)";
            if (release)
                Assert.Contains($"watch 'rounded': unknown name 'rounded' (at position 1) {removed}", detail, StringComparison.Ordinal);
            else
                Assert.DoesNotContain("rounded", detail, StringComparison.Ordinal);
            Assert.Equal(release, detail.Contains(removed, StringComparison.Ordinal));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task A_condition_that_does_not_bind_rejects_its_tracepoint_and_the_status_says_why()
    {
        var session = await AppSession.GetAsync("Release");
        var id = await session.Api.CreateAsync(File, AppSession.Line("scale-return"),
            new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0", ["condition"] = "rounded > 1" });
        try
        {
            await session.WaitForStateAsync(id, "error");
            var (_, detail) = (await session.StatusAsync(id)).First(s => s.State.Equals("error", StringComparison.OrdinalIgnoreCase));
            Assert.StartsWith("condition 'rounded > 1': unknown name 'rounded' (at position 1) (the method is optimized", detail, StringComparison.Ordinal);
            session.App.Call("scale", 8);
            Assert.Equal(0, await session.SettledCountAsync(id));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    /// <summary>A WATCH result: its value text, or its error.</summary>
    private static (string? Value, string? Error) Watch(Snapshot snapshot, string expression)
    {
        var watch = (snapshot.Json["watches"]?.AsArray() ?? [])
            .FirstOrDefault(w => w!["expression"]?.GetValue<string>() == expression && w["source"]?.ToString() is null or "WATCH" or "0")
            ?? throw new Xunit.Sdk.XunitException($"no WATCH '{expression}'");
        if (watch["errorResult"]?.GetValue<string>() is { } error) return (null, error);
        var id = watch["goodResult"]?["ID"]?.GetValue<string>();
        return ((snapshot.Json["varLookup"]?[id ?? ""] as JsonObject)?["value"]?.GetValue<string>(), null);
    }

    private static async Task<string> FailedExpressionsAsync(AppSession session, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        IReadOnlyList<(string State, string Detail)> seen = [];
        while (DateTime.UtcNow < deadline)
        {
            seen = await session.StatusAsync(id);
            if (seen.FirstOrDefault(s => s.Detail.Contains("failed expressions: ", StringComparison.Ordinal)) is { Detail: { } detail }) return detail;
            await Task.Delay(100);
        }
        throw new TimeoutException($"no status of {id} named its failed expressions; reported: {string.Join("; ", seen.Select(s => s.State + " " + s.Detail))}");
    }
}
