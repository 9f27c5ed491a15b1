using Deep.Agent.Diagnostics;

namespace Deep.Agent.Tests.Diagnostics;

/// <summary>Issue #12 item 9: with DEEP_DEBUG every dropped snapshot wrote a line (5,699 lines in 60 s).</summary>
public class DropSummaryTests
{
    private readonly List<string> _lines = [];

    private DropSummary Summary(TimeSpan interval) => new(line =>
    {
        lock (_lines) _lines.Add(line);
    }, interval);

    private string[] Lines()
    {
        lock (_lines) return _lines.ToArray();
    }

    [Fact]
    public void The_first_drop_is_written_at_once_and_the_rest_become_one_line_with_counts_by_reason()
    {
        var summary = Summary(TimeSpan.FromHours(1)); // the test flushes; the timer never fires
        for (var i = 0; i < 5_699; i++) summary.Add(i % 3 == 0 ? "the send queue is full (1000)" : "the global snapshots-per-second cap was reached");
        Assert.Equal(["snapshot dropped: the send queue is full (1000) (further drops are summarized every 3600 s)"], Lines());

        summary.Flush();
        var lines = Lines();
        Assert.Equal(2, lines.Length);
        Assert.Equal("5698 more snapshot(s) dropped in the last 3600 s: 3799 x the global snapshots-per-second cap was reached; 1899 x the send queue is full (1000)", lines[1]);
    }

    [Fact]
    public void After_a_quiet_interval_the_next_drop_is_written_at_once_again()
    {
        var summary = Summary(TimeSpan.FromHours(1));
        summary.Add("a");
        summary.Flush(); // nothing more was dropped: no line, and quiet again
        Assert.Single(Lines());
        summary.Add("b");
        Assert.Equal(2, Lines().Length);
        Assert.StartsWith("snapshot dropped: b", Lines()[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Reasons_beyond_the_cap_are_counted_as_other_and_long_reasons_are_cut()
    {
        var summary = Summary(TimeSpan.FromHours(1));
        summary.Add("first");
        for (var i = 0; i < DropSummary.MaxReasons + 5; i++) summary.Add("reason " + i + new string('x', 1000));
        summary.Flush();
        var line = Lines()[1];
        Assert.StartsWith($"{DropSummary.MaxReasons + 5} more snapshot(s) dropped", line, StringComparison.Ordinal);
        Assert.EndsWith("; 5 x other reasons", line, StringComparison.Ordinal);
        Assert.True(line.Length < DropSummary.MaxReasons * (DropSummary.MaxReasonLength + 20) + 200, $"{line.Length} characters");
    }

    [Fact]
    public void The_timer_writes_the_summary_after_the_interval()
    {
        var summary = Summary(TimeSpan.FromMilliseconds(50));
        for (var i = 0; i < 100; i++) summary.Add("capped");
        // A loaded machine may split the adds over two intervals: count what the summary lines report.
        var summaryLine = new System.Text.RegularExpressions.Regex(@"^(\d+) more snapshot\(s\) dropped in the last 50 ms: \d+ x capped$");
        int Reported() => Lines().Sum(l => l.StartsWith("snapshot dropped: capped", StringComparison.Ordinal) ? 1
            : summaryLine.Match(l) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0);
        Poll.Until(() => Reported() == 100, "the lines accounting for all 100 drops");
        Assert.True(Lines().Length < 10, string.Join("\n", Lines()));
    }
}
