using System.Globalization;
using Deep.Agent.Expressions;
using Deep.Integration.Tests.Infrastructure;
using Deep.Integration.Tests.Tracepoints;

namespace Deep.Integration.Tests.Hardening;

// Issue #12, items 1 and 2, against the real instrumented test app: hostile expressions on a line the app runs in a
// loop (deep nesting of every kind, PadLeft/Replace/ToUpper/concatenation of huge strings) are refused when compiled
// or stopped before they run; the app keeps running, prints exactly what it prints without them, and its loop
// finishes every call (before the bounds, one PadLeft(1000000000) hit took seconds, so 200 hits took minutes).
[Collection(EndToEndCollection.Name)]
public sealed class ExpressionHardeningTests
{
    private const string File = "TextLoop.cs";
    private const int Iterations = 200;

    private static readonly int LoopLine = Repo.Line("tests/TestApps/Deep.TestApp/TextLoop.cs", "text-loop");

    private static readonly Dictionary<string, string> EveryHit = new() { ["fire_count"] = "-1", ["fire_period"] = "0" };

    private static Dictionary<string, string> EveryHitAnd(params (string Key, string Value)[] args)
    {
        var all = new Dictionary<string, string>(EveryHit);
        foreach (var (key, value) in args)
        {
            all[key] = value;
        }
        return all;
    }

    private static string Repeat(string s, int n) => string.Concat(Enumerable.Repeat(s, n));

    // What TextLoop.Run prints, computed from its source: Σ (text.Length + 300000 + i), the text, the huge length.
    private static string Expected(int n)
    {
        var text = "order-" + n.ToString(CultureInfo.InvariantCulture);
        var checksum = (long)n * (text.Length + 300_000) + (long)n * (n - 1) / 2;
        return checksum.ToString(CultureInfo.InvariantCulture) + " " + text + " 300000";
    }

    // Every call of the loop must finish (within DeepRunProcess.Call's generous timeout) with the unchanged output.
    private static void RunLoop(AppSession session, int calls)
    {
        for (var call = 0; call < calls; call++)
        {
            Assert.Equal(Expected(Iterations), session.App.Call("text-loop", Iterations));
        }
    }

    /// <summary>
    /// The server refuses the tracepoint itself (its spec check uses the agent's parser: 400 with the refusal; a body over
    /// its 64 KB tracepoint limit: 413). The agent also serves DEEP servers that validate nothing, so the tracepoint is
    /// then stored past the HTTP API, straight into the registry the agent polls, to prove the agent refuses it too.
    /// </summary>
    private static async Task<string> RefusedByTheServerThenStoredAsync(AppSession session, Dictionary<string, string> args, string[] watches, string refusal)
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => session.Api.CreateAsync(File, LoopLine, args, watches));
        if (!e.Message.Contains("failed: 413 ", StringComparison.Ordinal))
        {
            Assert.Contains("failed: 400 ", e.Message, StringComparison.Ordinal);
            Assert.Contains(refusal, e.Message, StringComparison.Ordinal);
        }
        var tp = new Deepproto.Proto.Tracepoint.V1.TracePointConfig { Path = File, LineNumber = (uint)LoopLine };
        tp.Args.Add(args);
        tp.Watches.Add(watches);
        return session.Server.Registry.Add("single-tenant", tp).ID;
    }

    // Runs the loop (checking its output) until the app's log shows the text.
    private static async Task DriveUntilLoggedAsync(AppSession session, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!session.App.Log.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the app never logged '{text}'; {session.App.Tail}");
            }
            RunLoop(session, 1);
            await Task.Delay(100);
        }
    }

    private static string? WatchError(Snapshot snapshot, string expression) =>
        (snapshot.Json["watches"]?.AsArray() ?? []).FirstOrDefault(w => w!["expression"]?.GetValue<string>() == expression)?["errorResult"]?.GetValue<string>();

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Deeply_nested_expressions_are_rejected_and_the_app_runs_on_unchanged(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        RunLoop(session, 1); // the line is jitted and runs before any tracepoint
        var deep = "nested more than " + ExpressionLimits.MaxNestingDepth + " levels deep";
        var tooLong = "characters long; at most " + ExpressionLimits.MaxExpressionLength + " are allowed";
        var hostile = new (Dictionary<string, string> Args, string[] Watches, string Refusal)[]
        {
            (EveryHitAnd(("condition", Repeat("(", 2000) + "i > 0" + Repeat(")", 2000))), [], deep),
            (EveryHitAnd(("condition", Repeat("!", 2000) + "(i > 0)")), [], deep),
            (EveryHitAnd(("condition", Repeat("i > 0 && ", 300) + "i > 0")), [], deep),
            (EveryHitAnd(("condition", Repeat("(bool)", 500) + "(i > 0)")), [], deep),
            (EveryHitAnd(("condition", Repeat("!", 100_000) + "(i > 0)")), [], tooLong),
            (EveryHit, [Repeat("(", 2000) + "i" + Repeat(")", 2000)], deep),
            (EveryHit, ["text" + Repeat(".Trim()", 300)], deep),
            (EveryHit, [Repeat("- ", 1500) + "i"], deep),
            (EveryHit, [Repeat("Math.Abs(", 300) + "i" + Repeat(")", 300)], deep),
            (EveryHit, [Repeat("(long)", 100_000) + "i"], tooLong),
            (EveryHitAnd(("log_msg", "i={" + Repeat("(", 2000) + "i" + Repeat(")", 2000) + "}"), ("snapshot", "no_collect")), [], deep),
            (EveryHitAnd(("log_msg", "i={" + Repeat("i+", 500) + "i}"), ("snapshot", "no_collect")), [], deep),
        };
        var ids = new List<string>();
        var good = await session.Api.CreateAsync(File, LoopLine, new Dictionary<string, string> { ["fire_count"] = "3", ["fire_period"] = "0" }, ["text.Length + i"]);
        try
        {
            foreach (var (args, watches, refusal) in hostile)
            {
                var id = await RefusedByTheServerThenStoredAsync(session, args, watches, refusal);
                ids.Add(id);
                await DriveUntilLoggedAsync(session, $"tracepoint {id} rejected:");
                var line = session.App.Log.Split('\n').First(l => l.Contains($"tracepoint {id} rejected:", StringComparison.Ordinal));
                Assert.Contains(refusal, line, StringComparison.Ordinal);
                Assert.True(line.Length < 1000, "the rejection repeats the huge expression: " + line.Length + " characters");
            }

            RunLoop(session, 5);

            // The probe at that line is armed (the good tracepoint fires with the right values); the hostile ones never do.
            var snapshots = await session.DriveUntilAsync(good, () => RunLoop(session, 1), s => s.Count >= 3);
            Assert.All(snapshots, s => Assert.Null(WatchError(s, "text.Length + i")));
            foreach (var id in ids)
            {
                Assert.Empty(await session.Api.SnapshotsAsync(id));
            }
            Assert.DoesNotContain("[deep] i=", session.App.Log, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var id in ids.Append(good))
            {
                await session.Api.DeleteAsync(id);
            }
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Huge_string_operations_are_refused_before_they_run_and_the_loop_keeps_its_pace(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        RunLoop(session, 1);
        string[] watches =
        [
            "hugeText.PadLeft(1000000000).Length",
            "text.PadRight(2000000000)",
            "hugeText.Replace(\"x\", \"yy\").Length",
            "hugeText + hugeText",
            "hugeText.ToUpper().Length",
            "text.Length + i",
        ];
        var watch = await session.Api.CreateAsync(File, LoopLine, EveryHit, watches);
        var condition = await session.Api.CreateAsync(File, LoopLine, EveryHitAnd(("condition", "hugeText.Replace(\"x\", \"yyy\").Length > i")));
        var log = await session.Api.CreateAsync(File, LoopLine,
            EveryHitAnd(("snapshot", "no_collect"), ("log_msg", "hostile i={i} pad={text.PadLeft(1000000000)} upper={hugeText.Insert(0, hugeText).Length}")));
        try
        {
            // Every hit of three hostile tracepoints runs; every call of the loop finishes with the same output.
            RunLoop(session, 5);

            var snapshots = await session.DriveUntilAsync(watch, () => RunLoop(session, 1), s => s.Count >= 20);
            Assert.All(snapshots.Take(20), s =>
            {
                Assert.Contains("could create a string of 1000000000 characters", WatchError(s, watches[0]), StringComparison.Ordinal);
                Assert.Contains("could create a string of 2000000000 characters", WatchError(s, watches[1]), StringComparison.Ordinal);
                Assert.Contains("could create a string of 600000 characters", WatchError(s, watches[2]), StringComparison.Ordinal);
                Assert.Contains("could create a string of 600000 characters", WatchError(s, watches[3]), StringComparison.Ordinal);
                Assert.Contains("could create a string of 300000 characters", WatchError(s, watches[4]), StringComparison.Ordinal);
                Assert.Null(WatchError(s, watches[5]));
            });

            // The condition fails on every hit (never fires) and says why, once.
            await DriveUntilLoggedAsync(session, "could create a string of 900000 characters");
            Assert.Empty(await session.Api.SnapshotsAsync(condition));

            // The log line renders, with the errors in place of the refused parts.
            await DriveUntilLoggedAsync(session, "[deep] hostile i=");
            var line = session.App.Log.Split('\n').First(l => l.Contains("[deep] hostile i=", StringComparison.Ordinal));
            Assert.Contains("pad={text.PadLeft(1000000000): 'text.PadLeft(1000000000)' could create a string of 1000000000 characters", line, StringComparison.Ordinal);
            Assert.Contains("upper={hugeText.Insert(0, hugeText).Length: 'hugeText.Insert(0, hugeText)' could create a string of 600000 characters", line, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var id in new[] { watch, condition, log })
            {
                await session.Api.DeleteAsync(id);
            }
        }
        // And the app is still there, answering as before.
        RunLoop(session, 1);
    }
}
