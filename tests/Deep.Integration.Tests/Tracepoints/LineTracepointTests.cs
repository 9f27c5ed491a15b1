using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// A tracepoint created through the server's HTTP API fires inside the test app running under `deep run`, at that
// line, with that line's values, in Debug and Release builds. Expected values are computed here from the test
// app's source, not taken from the agent.
[Collection(EndToEndCollection.Name)]
public sealed class LineTracepointTests
{
    private const string File = "Scenarios.cs";

    private static readonly Dictionary<string, string> EveryHit = new() { ["fire_count"] = "-1", ["fire_period"] = "0" };

    private static Dictionary<string, string> Args(params (string Key, string Value)[] args) => args.ToDictionary(a => a.Key, a => a.Value);

    private static Dictionary<string, string> EveryHitAnd(params (string Key, string Value)[] args)
    {
        var all = new Dictionary<string, string>(EveryHit);
        foreach (var (key, value) in args)
        {
            all[key] = value;
        }
        return all;
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_loop_line_fires_each_iteration_with_this_arguments_and_locals(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, AppSession.Line("orders-loop"), Args(("fire_count", "3"), ("fire_period", "0")));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => session.App.Call("orders", 3), s => s.Count >= 3);

            // label = "book-3" + ":" + 3; before iteration i, sum = Σ_{j<i} ((j+1)*10 + label.Length).
            const string label = "book-3:3";
            var byIteration = snapshots.OrderBy(s => int.Parse(s.Value("i")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(["0", "1", "2"], byIteration.Select(s => s.Value("i")));
            int sum = 0;
            for (int i = 0; i < 3; i++)
            {
                var snapshot = byIteration[i];
                Assert.Equal("3", snapshot.Value("count"));
                Assert.Equal(label, snapshot.Value("label"));
                Assert.Equal(sum.ToString(System.Globalization.CultureInfo.InvariantCulture), snapshot.Value("sum"));
                Assert.Equal("OrderBook", snapshot.Type("this"));
                Assert.Equal(AppSession.Line("orders-loop"), snapshot.LineNumber);
                sum += (i + 1) * 10 + label.Length;
            }
            await Task.Delay(500);
            Assert.Equal(3, (await session.Api.SnapshotsAsync(id)).Count); // fire_count 3: no more
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_static_method_line_captures_its_arguments(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, AppSession.Line("scale-line"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("scale", 4), s => s.Count >= 1))[0];

            Assert.Equal("4", snapshot.Value("value"));
            Assert.Equal("1.5", snapshot.Value("factor"));
            Assert.Null(snapshot.Value("this"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Line_end_sees_what_the_line_computed(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, AppSession.Line("scale-line"), Args(("stage", "line_end")));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("scale", 6), s => s.Count >= 1))[0];

            Assert.Equal("6", snapshot.Value("value"));
            Assert.Equal("9", snapshot.Value("scaled")); // 6 * 1.5, assigned by the probed line
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Try_catch_and_finally_lines_fire_on_the_path_taken(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var inCatch = await session.Api.CreateAsync(File, AppSession.Line("catch-line"));
        var inFinally = await session.Api.CreateAsync(File, AppSession.Line("finally-line"), EveryHit);
        try
        {
            // flow 2: TryCatchFinally(2) throws (even) and is caught; the finally runs after the catch.
            var caught = (await session.DriveUntilAsync(inCatch, () => session.App.Call("flow", 2), s => s.Count >= 1))[0];
            Assert.Equal("2", caught.Value("n"));
            Assert.Equal("try", caught.Value("state"));

            // The finally probe may be installed after the catch probe fired: drive both paths until both arrived.
            var finals = await session.DriveUntilAsync(inFinally, () =>
            {
                session.App.Call("flow", 2);
                session.App.Call("flow", 3);
            }, s => s.Any(x => x.Value("n") == "3") && s.Any(x => x.Value("n") == "2"));
            Assert.Contains(finals, s => s.Value("n") == "3" && s.Value("state") == "try-ok");
            Assert.Contains(finals, s => s.Value("n") == "2" && s.Value("state") == "caught:even 2");
        }
        finally
        {
            await session.Api.DeleteAsync(inCatch);
            await session.Api.DeleteAsync(inFinally);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Only_the_switch_case_taken_fires(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var one = await session.Api.CreateAsync(File, AppSession.Line("switch-one"), EveryHit);
        var zero = await session.Api.CreateAsync(File, AppSession.Line("switch-zero"), EveryHit);
        try
        {
            // n = 4: 4 % 3 == 1, so only case 1 runs.
            var snapshots = await session.DriveUntilAsync(one, () => session.App.Call("flow", 4), s => s.Count >= 2);

            Assert.All(snapshots, s => Assert.Equal("4", s.Value("n")));
            Assert.Empty(await session.Api.SnapshotsAsync(zero));
        }
        finally
        {
            await session.Api.DeleteAsync(one);
            await session.Api.DeleteAsync(zero);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_inside_using_sees_the_disposable(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, AppSession.Line("using-line"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("flow", 5), s => s.Count >= 1))[0];

            Assert.Equal("5", snapshot.Value("n"));
            Assert.Equal("MemoryStream", snapshot.Type("stream"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task Ref_arguments_are_dereferenced_and_a_span_is_left_out()
    {
        var session = await AppSession.GetAsync("Debug");
        var id = await session.Api.CreateAsync(File, AppSession.Line("refs-span"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("refs", 7), s => s.Count >= 1))[0];

            Assert.Equal("7", snapshot.Value("counter"));
            Assert.DoesNotContain("buffer", snapshot.Names);
            Assert.Equal("16:c16", session.App.Call("refs", 7)); // 7 + (7 + 2): the method still computes the same
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task A_struct_method_captures_this()
    {
        var session = await AppSession.GetAsync("Debug");
        var id = await session.Api.CreateAsync(File, AppSession.Line("struct-line"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("struct", 3), s => s.Count >= 1))[0];

            Assert.Equal("Point", snapshot.Type("this"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task A_comment_line_fires_at_the_next_line_with_code_and_says_which()
    {
        var session = await AppSession.GetAsync("Debug");
        var id = await session.Api.CreateAsync(File, AppSession.Line("orders-comment"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("orders", 2), s => s.Count >= 1))[0];

            Assert.Equal(AppSession.Line("orders-after-comment"), snapshot.LineNumber);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task Ten_threads_hitting_one_probe_each_get_their_own_values()
    {
        var session = await AppSession.GetAsync("Release");
        var id = await session.Api.CreateAsync(File, AppSession.Line("worker-step"), EveryHit);
        try
        {
            // Make sure the probe is in before counting: warm-up runs until a snapshot arrives, then until none is in flight.
            await session.DriveUntilAsync(id, () => session.App.Call("threads", 1), s => s.Count >= 1);
            var before = await session.SettledCountAsync(id);

            session.App.Call("threads", 20); // 10 threads × 20 calls
            await session.DriveUntilAsync(id, () => { }, s => s.Count >= before + 200);
            Assert.Equal(before + 200, await session.SettledCountAsync(id));

            var pairs = (await session.Api.SnapshotsAsync(id)).Select(s => (s.Value("thread"), s.Value("iteration"))).ToList();
            foreach (var t in Enumerable.Range(0, 10))
            {
                foreach (var i in Enumerable.Range(1, 19))
                {
                    // Every thread's every call arrived once, with its own arguments (iteration 0 also ran in the warm-up).
                    Assert.Single(pairs, (t.ToString(System.Globalization.CultureInfo.InvariantCulture), i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task Fire_count_caps_the_snapshots_across_threads()
    {
        var session = await AppSession.GetAsync("Release");
        var id = await session.Api.CreateAsync(File, AppSession.Line("worker-step"), Args(("fire_count", "2"), ("fire_period", "0")));
        try
        {
            await session.DriveUntilAsync(id, () => session.App.Call("threads", 30), s => s.Count >= 2);
            session.App.Call("threads", 30);
            await Task.Delay(1000);

            Assert.Equal(2, (await session.Api.SnapshotsAsync(id)).Count);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task Fire_period_lets_one_snapshot_through_per_period()
    {
        var session = await AppSession.GetAsync("Debug");
        var id = await session.Api.CreateAsync(File, AppSession.Line("scale-line"), Args(("fire_count", "-1"), ("fire_period", "600000")));
        try
        {
            await session.DriveUntilAsync(id, () => session.App.Call("scale", 1), s => s.Count >= 1);
            for (int i = 0; i < 20; i++)
            {
                session.App.Call("scale", i);
            }
            await Task.Delay(500);

            Assert.Single(await session.Api.SnapshotsAsync(id));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_lets_only_matching_hits_fire(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, AppSession.Line("orders-loop"), EveryHitAnd(("condition", "i == 2 && count > 3")));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => { session.App.Call("orders", 3); session.App.Call("orders", 5); }, s => s.Count >= 2);

            Assert.All(snapshots, s =>
            {
                Assert.Equal("2", s.Value("i"));
                Assert.Equal("5", s.Value("count"));
            });
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task Windows_outside_now_never_fire_and_a_window_around_now_does()
    {
        var session = await AppSession.GetAsync("Debug");
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string S(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var future = await session.Api.CreateAsync(File, AppSession.Line("scale-return"), EveryHitAnd(("window_start", S(now + 3600)), ("window_end", S(now + 7200))));
        var past = await session.Api.CreateAsync(File, AppSession.Line("scale-return"), EveryHitAnd(("window_start", S((now - 7200) * 1000)), ("window_end", S((now - 3600) * 1000))));
        var current = await session.Api.CreateAsync(File, AppSession.Line("scale-return"), EveryHitAnd(("window_start", S(now - 60)), ("window_end", S(now + 3600))));
        try
        {
            // The three arrive in one poll answer: once the current one fires, the others were installed too.
            await session.DriveUntilAsync(current, () => session.App.Call("scale", 2), s => s.Count >= 3);

            Assert.Empty(await session.Api.SnapshotsAsync(future));
            Assert.Empty(await session.Api.SnapshotsAsync(past));
        }
        finally
        {
            await session.Api.DeleteAsync(future);
            await session.Api.DeleteAsync(past);
            await session.Api.DeleteAsync(current);
        }
    }

    [Fact]
    public async Task A_log_point_writes_its_message_with_the_lines_values()
    {
        var session = await AppSession.GetAsync("Debug");
        var id = await session.Api.CreateAsync(File, AppSession.Line("scale-return"),
            Args(("snapshot", "no_collect"), ("log_msg", "scaled {value} by {factor} into {rounded}"), ("fire_count", "-1"), ("fire_period", "0")));
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
            while (!session.App.Log.Contains("scaled 8 by 1.5 into 12", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                session.App.Call("scale", 8);
                await Task.Delay(100);
            }

            Assert.Contains("[deep] scaled 8 by 1.5 into 12", session.App.Log, StringComparison.Ordinal);
            Assert.Empty(await session.Api.SnapshotsAsync(id)); // no_collect: a log only
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Removing_a_tracepoint_while_running_stops_it_and_the_method_still_works(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var line = AppSession.Line("switch-default");
        var id = await session.Api.CreateAsync(File, line, EveryHit);
        await session.DriveUntilAsync(id, () => session.App.Call("flow", 5), s => s.Count >= 1);

        await session.Api.DeleteAsync(id);
        // The agent says when the probe is gone (self-diagnostics on stderr with DEEP_DEBUG=true).
        await session.WaitForLogAsync(log => log.Contains($"{File}:{line} (LineStart) removed", StringComparison.Ordinal), "the probe's removal");
        // Snapshots taken before the removal may still be in the agent's send queue: let them arrive first.
        await session.WaitForEarlierSnapshotsAsync();
        var count = (await session.Api.SnapshotsAsync(id)).Count;
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal("try-ok+finally|many4|7", session.App.Call("flow", 5));
        }
        await session.WaitForEarlierSnapshotsAsync();

        Assert.Equal(count, (await session.Api.SnapshotsAsync(id)).Count);
    }

    [Fact]
    public async Task A_probe_in_a_method_the_jit_inlined_into_its_caller_still_fires()
    {
        var session = await AppSession.GetAsync("Release");
        // Hot.Add is small and called in a loop: after these runs the optimised Loop has it inlined.
        for (int i = 0; i < 5; i++)
        {
            session.App.Call("hot", 200_000);
        }
        var id = await session.Api.CreateAsync(File, AppSession.Line("hot-add"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("hot", 1000), s => s.Count >= 1))[0];

            Assert.Equal("1", snapshot.Value("b"));
            Assert.NotNull(snapshot.Value("a"));
            Assert.Equal("500500", session.App.Call("hot", 1000)); // Σ_{i<1000} (i + 1)
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Fact]
    public async Task Bad_tracepoints_do_not_disturb_a_good_one()
    {
        var session = await AppSession.GetAsync("Debug");
        var missingFile = await session.Api.CreateAsync("NoSuchFile.cs", 12, EveryHit);
        var noCode = await session.Api.CreateAsync(File, 1, EveryHit);
        var badCondition = await session.Api.CreateAsync(File, AppSession.Line("using-line"), EveryHitAnd(("condition", "noSuchLocal >> 2 > n")));  // well formed (the server takes it), but binds to nothing: the agent rejects it
        var good = await session.Api.CreateAsync(File, AppSession.Line("using-line"), EveryHit);
        try
        {
            var snapshots = await session.DriveUntilAsync(good, () => session.App.Call("flow", 9), s => s.Count >= 2);

            Assert.All(snapshots, s => Assert.Equal("9", s.Value("n")));
            Assert.Empty(await session.Api.SnapshotsAsync(badCondition));
            Assert.Contains("NoSuchFile.cs", session.App.Log, StringComparison.Ordinal); // reported as pending
            Assert.Contains($"{File}:1 (LineStart) failed", session.App.Log, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var id in new[] { missingFile, noCode, badCondition, good })
            {
                await session.Api.DeleteAsync(id);
            }
        }
    }
}
