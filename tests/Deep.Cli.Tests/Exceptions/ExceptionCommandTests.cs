using System.Text.Json;
using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Cli.Tests.Exceptions;

/// <summary><c>deep exception list|show</c> against a real embedded server fed Exception Replay snapshots over gRPC.</summary>
public sealed class ExceptionCommandTests
{
    private const string Fingerprint = "0123456789abcdef";

    private static Action<Snapshot> Replay(string fingerprint, long count, string message) => s =>
    {
        s.Tracepoint.ID = "exception-" + fingerprint;
        s.Attributes.Add(new KeyValue { Key = "stage", Value = new AnyValue { StringValue = "exception" } });
        s.Attributes.Add(new KeyValue { Key = "exception.type", Value = new AnyValue { StringValue = "System.InvalidOperationException" } });
        s.Attributes.Add(new KeyValue { Key = "exception.message", Value = new AnyValue { StringValue = message } });
        s.Attributes.Add(new KeyValue { Key = "exception.fingerprint", Value = new AnyValue { StringValue = fingerprint } });
        s.Attributes.Add(new KeyValue { Key = "exception.where", Value = new AnyValue { StringValue = "Shop.OrderService.Place" } });
        s.Attributes.Add(new KeyValue { Key = "exception.replay", Value = new AnyValue { BoolValue = true } });
        s.Attributes.Add(new KeyValue { Key = "exception.count", Value = new AnyValue { IntValue = count } });
    };

    [Fact]
    public async Task List_shows_one_row_per_fingerprint_with_the_escapes_counted_and_no_ordinary_snapshot()
    {
        await using var h = await CliHarness.StartAsync();
        await h.SendSnapshotAsync("ignored", 1_000_000_000, Replay(Fingerprint, 2, "order 41 refused"));
        await h.SendSnapshotAsync("ignored", 2_000_000_000, Replay(Fingerprint, 3, "order 43 refused"));
        await h.SendSnapshotAsync("ignored", 3_000_000_000, Replay("fedcba9876543210", 1, "other failure"));
        await h.SendSnapshotAsync("tp-ordinary", 4_000_000_000);

        var (code, output, error) = await h.RunAsync("exception", "list");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length); // header + two fingerprints
        var row = Assert.Single(lines, l => l.Contains(Fingerprint, StringComparison.Ordinal));
        Assert.Contains("order 43 refused", row); // the newest describes it
        Assert.Contains("Shop.OrderService.Place", row);
        Assert.Matches(@"\s5\s", row);
        Assert.True(output.IndexOf("fedcba9876543210", StringComparison.Ordinal) < output.IndexOf(Fingerprint, StringComparison.Ordinal), "newest first");

        var (_, json, _) = await h.RunAsync("exception", "list", "--json");
        var rows = JsonDocument.Parse(json).RootElement.GetProperty("exceptions");
        Assert.Equal(2, rows.GetArrayLength());
        Assert.Equal(5, rows[1].GetProperty("count").GetInt64());
        Assert.Equal(2, rows[1].GetProperty("snapshots").GetInt32());
    }

    [Fact]
    public async Task Show_prints_the_latest_snapshot_with_its_frames_and_json_gives_them_all()
    {
        await using var h = await CliHarness.StartAsync();
        await h.SendSnapshotAsync("ignored", 1_000_000_000, Replay(Fingerprint, 1, "order 41 refused"));
        await h.SendSnapshotAsync("ignored", 2_000_000_000, Replay(Fingerprint, 1, "order 43 refused"));
        var (code, output, error) = await h.RunAsync("exception", "show", Fingerprint.ToUpperInvariant());
        Assert.True(code == 0, error);
        Assert.Contains("#0 Shop.OrderService.Place (/src/OrderService.cs:42)", output);
        Assert.Contains("order: Shop.Order", output);
        Assert.Contains("order 43 refused", output);
        Assert.DoesNotContain("order 41 refused", output);

        var (_, json, _) = await h.RunAsync("exception", "show", Fingerprint, "--json");
        Assert.Equal(2, JsonDocument.Parse(json).RootElement.GetProperty("snapshots").GetArrayLength());
    }

    [Theory]
    [InlineData("xyz")]
    [InlineData("0123456789abcde")] // 15 digits
    [InlineData("0123456789abcdef0")] // 17 digits
    [InlineData("0123456789abcdeg")]
    [InlineData("")]
    public async Task A_malformed_fingerprint_exits_2_with_what_a_fingerprint_is(string fingerprint)
    {
        await using var h = await CliHarness.StartAsync();
        var (code, _, error) = await h.RunAsync("exception", "show", fingerprint);
        Assert.Equal(2, code);
        Assert.Contains("16 hex digits", error);
    }

    [Fact]
    public async Task An_unknown_fingerprint_exits_4_and_a_bad_limit_exits_2()
    {
        await using var h = await CliHarness.StartAsync();
        var (missing, _, error) = await h.RunAsync("exception", "show", Fingerprint);
        Assert.Equal(4, missing);
        Assert.Contains(Fingerprint, error);
        var (bad, _, limitError) = await h.RunAsync("exception", "list", "--limit", "0");
        Assert.Equal(2, bad);
        Assert.Contains("--limit", limitError);
        var (empty, output, _) = await h.RunAsync("exception", "list");
        Assert.Equal(0, empty);
        Assert.Contains("no exceptions yet", output);
    }
}
