using System.Globalization;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Hardening;

// Issue #12 items 3 and 4 against the real server and an instrumented process: per-tracepoint limits raised far
// above the defaults, on values far larger than them (a nine-million-character string whose whole snapshot would be
// over the server's 8 MB request limit, a million-item list, a dictionary of 50,000-character keys). The snapshots
// arrive, bounded and marked cut; the application's results are unchanged; a second, ordinary tracepoint's
// snapshots keep arriving after them.
[Collection(EndToEndCollection.Name)]
public sealed class CaptureHardeningTests
{
    private const string File = "BigValues.cs";
    private const string Configuration = "Release";

    // Mirrors BigValues in the test app.
    private const int ItemCount = 1_000_000;
    private const int TextLength = 9_000_000;
    private const int KeyCount = 200;
    private const int KeyLength = 50_000;

    // The agent's cap on one encoded snapshot (CaptureLimits.MaxSnapshotBytes); the server's own limit is 5,000,000.
    private const int MaxSnapshotBytes = 4_000_000;

    private static int Line(string marker) => Repo.Line("tests/TestApps/Deep.TestApp/BigValues.cs", marker);

    /// <summary>The scenario's result computed here: Σ (i + text length + key count) + Σ i.</summary>
    private static string Expected(int iterations)
    {
        long sum = 0;
        for (int i = 0; i < iterations; i++) sum += i + TextLength + KeyCount + i;
        return sum.ToString(CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("text", "MAX_STRING_LENGTH=10000000,MAX_TP_PROCESS_TIME=30000")]
    [InlineData("items", "MAX_COLLECTION_SIZE=1000000")]
    [InlineData("items", "MAX_COLLECTION_SIZE=1000000,MAX_VARIABLES=1000000")]
    // 200 items of the list (captured first) and up to 200 entries of the dictionary, whose 50,000-character keys
    // run into the size budget.
    [InlineData("index", "MAX_STRING_LENGTH=10000000,MAX_COLLECTION_SIZE=200,MAX_TP_PROCESS_TIME=30000")]
    public async Task A_huge_value_under_raised_limits_arrives_bounded_and_marked_cut_and_other_snapshots_keep_flowing(string variable, string limits)
    {
        var session = await AppSession.GetAsync(Configuration);
        var bigArgs = new Dictionary<string, string> { ["fire_count"] = "3", ["fire_period"] = "0" };
        foreach (var pair in limits.Split(','))
        {
            var parts = pair.Split('=');
            bigArgs[parts[0]] = parts[1];
        }
        var big = await session.Api.CreateAsync(File, Line("big-values"), bigArgs);
        var ordinary = await session.Api.CreateAsync(File, Line("big-ordinary"), new Dictionary<string, string> { ["fire_count"] = "-1", ["fire_period"] = "0" });
        try
        {
            void Drive() => Assert.Equal(Expected(3), session.App.Call("big-values", 3));

            var bigSnapshots = await session.DriveUntilAsync(big, Drive, s => s.Count >= 3, TimeSpan.FromSeconds(120));
            var shown = 0;
            foreach (var snapshot in bigSnapshots)
            {
                var json = snapshot.Json;
                var value = Variable(json, variable);
                Assert.True(value["truncated"]?.GetValue<bool>() == true, $"{variable} is not marked truncated: {Describe(value)}");
                Assert.True(Utf8Length(json) < MaxSnapshotBytes, $"the snapshot holds {Utf8Length(json)} bytes of text");
                // Under the default time budget a loaded machine may run out of time before this variable: it is
                // then the budget's placeholder. At least one of the snapshots shows the cut value itself.
                if (value["value"]!.GetValue<string>() == "[not captured: time budget exceeded]") continue;
                shown++;
                switch (variable)
                {
                    case "text":
                        var text = value["value"]!.GetValue<string>();
                        Assert.InRange(text.Length, 1, MaxSnapshotBytes);
                        Assert.True(text.All(c => c == 't'));
                        Assert.Equal(TextLength.ToString(CultureInfo.InvariantCulture), ChildValue(json, value, "Length"));
                        break;
                    case "items":
                        Assert.Equal($"List<int> of size: {ItemCount}", value["value"]!.GetValue<string>());
                        var children = value["children"]?.AsArray().Count ?? 0;
                        Assert.InRange(children, 1, ItemCount - 1);
                        break;
                    case "index":
                        Assert.Equal($"Dictionary<string, int> of size: {KeyCount}", value["value"]!.GetValue<string>());
                        var names = (value["children"]?.AsArray() ?? []).Select(c => c!["name"]!.GetValue<string>()).ToList();
                        Assert.InRange(names.Count, 1, KeyCount - 1);
                        Assert.True(names.Sum(n => n.Length) < MaxSnapshotBytes);
                        break;
                }
            }
            Assert.True(shown >= 1, $"{variable} was the time budget's placeholder in every snapshot");

            // The queue was not held up by the large snapshots: the ordinary tracepoint's snapshots keep arriving.
            var before = (await session.Api.SnapshotsAsync(ordinary)).Count;
            Assert.True(before >= 3, $"only {before} ordinary snapshot(s) arrived alongside the large ones");
            await session.DriveUntilAsync(ordinary, Drive, s => s.Count >= before + 6, TimeSpan.FromSeconds(60));
        }
        finally
        {
            await session.Api.DeleteAsync(big);
            await session.Api.DeleteAsync(ordinary);
        }
    }

    private static JsonObject Variable(JsonObject snapshot, string name)
    {
        var reference = snapshot["frames"]![0]!["variables"]!.AsArray().First(v => v!["name"]!.GetValue<string>() == name)!;
        return snapshot["varLookup"]![reference["ID"]!.GetValue<string>()]!.AsObject();
    }

    private static string? ChildValue(JsonObject snapshot, JsonObject parent, string name)
    {
        var reference = (parent["children"]?.AsArray() ?? []).FirstOrDefault(c => c!["name"]!.GetValue<string>() == name);
        return reference is null ? null : snapshot["varLookup"]![reference["ID"]!.GetValue<string>()]!["value"]!.GetValue<string>();
    }

    private static long Utf8Length(JsonObject snapshot) => System.Text.Encoding.UTF8.GetByteCount(snapshot.ToJsonString());

    private static string Describe(JsonObject variable)
    {
        var copy = variable.DeepClone().AsObject();
        if (copy["value"]?.GetValue<string>() is { Length: > 200 } text) copy["value"] = text[..200] + "...";
        return copy.ToJsonString();
    }
}
