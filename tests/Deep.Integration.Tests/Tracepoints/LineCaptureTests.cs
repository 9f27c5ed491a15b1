using System.Globalization;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// line_capture (the line's outcome: exception and duration) on tests/TestApps/Deep.TestApp/LineCaptures.cs, driven as
// "line-capture <what> <n>". Expected values are computed from that file.
[Collection(EndToEndCollection.Name)]
public sealed class LineCaptureTests
{
    private const string File = "LineCaptures.cs";
    private const string Source = "tests/TestApps/Deep.TestApp/LineCaptures.cs";

    private static int Line(string marker) => Repo.Line(Source, marker);

    private static Dictionary<string, string> Capture(params (string Key, string Value)[] more)
    {
        var args = new Dictionary<string, string> { ["stage"] = "line_capture", ["fire_count"] = "-1", ["fire_period"] = "0" };
        foreach (var (key, value) in more)
        {
            args[key] = value;
        }
        return args;
    }

    private static long Duration(Snapshot snapshot) => long.Parse(snapshot.Capture("duration").Value!, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_that_completes_reports_no_exception_and_its_duration(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("capture-complete"), Capture());
        try
        {
            // total = 4 * 3 + (4 + 1) = 17
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("17|4", session.App.Call("line-capture", "complete 4")), s => s.Count >= 1))[0];

            Assert.Equal(["exception", "duration"], snapshot.Captures());
            Assert.Equal("null", snapshot.Capture("exception").Value);
            // Work spins for 1 ms: the line took at least that, and (on a noisy machine) well under 10 s.
            Assert.InRange(Duration(snapshot), 1_000_000L, 10_000_000_000L);
            Assert.Equal("4", snapshot.Value("n"));
            Assert.Equal("17", snapshot.Value("total")); // after the line: total += Work(n) has run
            Assert.Equal("line_capture", snapshot.Attribute("stage"));
            Assert.Equal(Line("capture-complete"), snapshot.LineNumber);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_that_throws_reports_the_exception_and_the_application_sees_exactly_that_exception(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("capture-throws"), Capture());
        try
        {
            var seen = new List<string>();
            var snapshot = (await session.DriveUntilAsync(id, () => seen.Add(session.App.Call("line-capture", "throws 3")), s => s.Count >= 1))[0];

            // Same type, message, and the stack trace still starts in the callee that threw and passes the probed method.
            Assert.All(seen, s => Assert.Equal("InvalidOperationException|odd 3 over 6|top=Check|names-Checked=True", s));
            Assert.Equal(["exception", "duration"], snapshot.Captures());
            Assert.Equal("InvalidOperationException", snapshot.Capture("exception").Type);
            Assert.Equal("InvalidOperationException: odd 3 over 6", snapshot.Capture("exception").Value);
            Assert.InRange(Duration(snapshot), 1L, 10_000_000_000L);
            // The filter runs before the frame unwinds: the line's variables are there.
            Assert.Equal("3", snapshot.Value("n"));
            Assert.Equal("6", snapshot.Value("limit"));
            // The stack is the probed frame, then its callers (not the runtime's exception dispatch that ran the filter).
            var methods = snapshot.Json["frames"]!.AsArray().Select(f => f!["methodName"]?.GetValue<string>()).Take(2).ToList();
            Assert.Equal(["Checked", "Throws"], methods);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_inside_a_try_of_its_own_method_reports_the_exception_and_the_catch_still_runs(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("capture-caught"), Capture());
        try
        {
            var seen = new List<string>();
            var snapshot = (await session.DriveUntilAsync(id, () => seen.Add(session.App.Call("line-capture", "caught 5")), s => s.Count >= 1))[0];

            Assert.All(seen, s => Assert.Equal("caught odd 5 over 5", s));
            Assert.Equal("InvalidOperationException: odd 5 over 5", snapshot.Capture("exception").Value);
            Assert.Equal("5", snapshot.Value("n"));
            Assert.Equal("none", snapshot.Value("outcome")); // the assignment never happened
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_on_the_exception_fires_only_for_the_executions_that_fail(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("capture-throws"), Capture(("condition", "exception != null")));
        try
        {
            var results = new List<string>();
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                results.Add(session.App.Call("line-capture", "throws 2")); // even: completes, 2 + 4
                results.Add(session.App.Call("line-capture", "throws 7")); // odd: throws
            }, s => s.Count >= 2);

            Assert.Contains("6", results);
            Assert.Contains("InvalidOperationException|odd 7 over 14|top=Check|names-Checked=True", results);
            Assert.All(snapshots, s =>
            {
                Assert.Equal("InvalidOperationException: odd 7 over 14", s.Capture("exception").Value);
                Assert.Equal("7", s.Value("n"));
            });
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    // A line that cannot be one protected region still gets its snapshots, after the line like line_end; the outcome
    // watches say why they are missing, and the probe status lists it as not captured.
    [Theory]
    [InlineData("Debug", "capture-for", "a for header")]
    [InlineData("Release", "capture-for", "a for header")]
    [InlineData("Debug", "capture-await", "an await on the line")]
    [InlineData("Release", "capture-await", "an await on the line")]
    public async Task A_line_that_cannot_be_one_protected_region_fires_after_the_line_and_says_why_it_has_no_outcome(string configuration, string marker, string why)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line(marker), Capture());
        try
        {
            await session.WaitForStateAsync(id, "installed,fired");
            var snapshots = await session.DriveUntilAsync(id, () =>
                // The method's behaviour is unchanged.
                Assert.Equal(marker == "capture-for" ? "24" : "15", session.App.Call("line-capture", (marker == "capture-for" ? "for " : "await ") + "4")),
                s => s.Count >= 1);

            Assert.All(snapshots, s =>
            {
                Assert.Equal("line_capture", s.Attribute("stage"));
                foreach (var outcome in new[] { "exception", "duration" })
                {
                    string error = s.CaptureError(outcome);
                    Assert.StartsWith("not captured: ", error, StringComparison.Ordinal);
                    Assert.Contains(why, error, StringComparison.Ordinal);
                    Assert.DoesNotContain("use line_end", error, StringComparison.Ordinal);
                }
            });
            var (_, detail) = (await session.StatusAsync(id)).First(s => s.State is "installed" or "fired");
            Assert.Contains("not captured: exception, duration (placed after the line, like line_end)", detail, StringComparison.Ordinal);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}

internal static class LineCaptureSnapshotExtensions
{
    /// <summary>The error text of a CAPTURE watch that has no value.</summary>
    public static string CaptureError(this Snapshot snapshot, string name)
    {
        var watch = (snapshot.Json["watches"]?.AsArray() ?? [])
            .FirstOrDefault(w => w!["expression"]?.GetValue<string>() == name && w["source"]?.ToString() is "CAPTURE" or "3")
            ?? throw new Xunit.Sdk.XunitException($"no CAPTURE watch '{name}' in {snapshot}");
        return watch["errorResult"]?.GetValue<string>() ?? throw new Xunit.Sdk.XunitException($"CAPTURE watch '{name}' has no error in {snapshot}");
    }
}
