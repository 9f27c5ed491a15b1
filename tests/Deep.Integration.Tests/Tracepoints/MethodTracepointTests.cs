using System.Globalization;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// Method tracepoints (method_name + stage method_start / method_end / method_capture) on
// tests/TestApps/Deep.TestApp/Methods.cs, driven as "methods <what> <n>". Expected values are computed from that file.
[Collection(EndToEndCollection.Name)]
public sealed class MethodTracepointTests
{
    private const string File = "Methods.cs";

    private static Dictionary<string, string> Method(string name, string? stage = null, string? className = "Pricing", bool everyCall = false)
    {
        var args = new Dictionary<string, string> { ["method_name"] = name };
        if (className is not null) args["class_name"] = className;
        if (stage is not null) args["stage"] = stage;
        if (everyCall)
        {
            args["fire_count"] = "-1";
            args["fire_period"] = "0";
        }
        return args;
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_method_start_tracepoint_captures_this_and_every_argument_at_entry(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Add"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("39", session.App.Call("methods", "add 3")), s => s.Count >= 1))[0];

            Assert.Equal("3", snapshot.Value("a"));
            Assert.Equal("30", snapshot.Value("b"));
            Assert.Equal("Pricing", snapshot.Type("this"));
            Assert.Equal(["this", "a", "b"], snapshot.Names);
            Assert.Equal("Add", snapshot.MethodName);
            Assert.Equal("method_start", snapshot.Attribute("stage"));
            Assert.Equal("Add(int a, int b)", snapshot.Attribute("method_signature"));
            Assert.Empty(snapshot.Captures());
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Method_capture_of_an_int_method_reports_the_return_value_no_exception_and_the_duration(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Square", "method_capture"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("49", session.App.Call("methods", "square 7")), s => s.Count >= 1))[0];

            Assert.Equal(["return", "exception", "duration"], snapshot.Captures());
            Assert.Equal("49", snapshot.Capture("return").Value);
            Assert.Equal("int", snapshot.Capture("return").Type);
            Assert.Equal("null", snapshot.Capture("exception").Value);
            Assert.True(long.Parse(snapshot.Capture("duration").Value!, CultureInfo.InvariantCulture) > 0);
            Assert.Equal("7", snapshot.Value("x"));
            Assert.Equal("method_capture", snapshot.Attribute("stage"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Method_capture_of_a_string_method_reports_the_returned_string(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Greet", "method_capture"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("hello ann4 from shop-4", session.App.Call("methods", "greet 4")), s => s.Count >= 1))[0];

            Assert.Equal("hello ann4 from shop-4", snapshot.Capture("return").Value);
            Assert.Equal("string", snapshot.Capture("return").Type);
            Assert.Equal("ann4", snapshot.Value("name"));
            Assert.Equal("Pricing", snapshot.Type("this"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_throwing_method_reports_its_exception_and_the_application_still_sees_exactly_that_exception(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Fail", "method_capture"));
        try
        {
            var seen = new List<string>();
            var snapshot = (await session.DriveUntilAsync(id, () => seen.Add(session.App.Call("methods", "fail 7")), s => s.Count >= 1))[0];

            // Same type, message, and the stack trace still starts in (and names) the method that threw.
            Assert.All(seen, s => Assert.Equal("InvalidOperationException|code 7|top=Fail|names-Fail=True", s));
            Assert.Equal(["exception", "duration"], snapshot.Captures());
            Assert.Equal("InvalidOperationException", snapshot.Capture("exception").Type);
            Assert.Equal("InvalidOperationException: code 7", snapshot.Capture("exception").Value);
            Assert.Equal("7", snapshot.Value("code"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task The_duration_covers_the_method_s_own_time(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Slow", "method_end"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("30", session.App.Call("methods", "slow 30")), s => s.Count >= 1))[0];

            // Thread.Sleep(30) inside: at least 30 ms, in nanoseconds (and well under the test's own timeout).
            long duration = long.Parse(snapshot.Capture("duration").Value!, CultureInfo.InvariantCulture);
            Assert.InRange(duration, 30_000_000L, 30_000_000_000L);
            Assert.Equal("30", snapshot.Capture("return").Value);
            Assert.Equal("method_end", snapshot.Attribute("stage"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    // Two timed exit probes in one method: the entry reads the clock once, through the first probe that may fire. Once
    // the first tracepoint (created first, so first in the method) is used up, the second still gets a real duration.
    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Two_method_end_tracepoints_on_one_method_each_get_the_duration_after_the_first_is_used_up(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var first = Method("Slow", "method_end");
        first["fire_count"] = "1";
        var second = Method("Slow", "method_capture");
        second["fire_count"] = "3";
        second["fire_period"] = "0";
        var firstId = await session.Api.CreateAsync(File, 0, first);
        var secondId = await session.Api.CreateAsync(File, 0, second);
        try
        {
            var seconds = await session.DriveUntilAsync(secondId, () => Assert.Equal("30", session.App.Call("methods", "slow 30")), s => s.Count >= 3);
            var firsts = await session.Api.SnapshotsAsync(firstId);

            Assert.Single(firsts);
            Assert.All(firsts.Concat(seconds), s =>
                Assert.InRange(long.Parse(s.Capture("duration").Value!, CultureInfo.InvariantCulture), 30_000_000L, 30_000_000_000L));
        }
        finally
        {
            await session.Api.DeleteAsync(firstId);
            await session.Api.DeleteAsync(secondId);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_void_method_reports_no_return_value_and_keeps_its_behaviour(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Touch", "method_end"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("3", session.App.Call("methods", "touch 3")), s => s.Count >= 1))[0];

            Assert.Equal(["exception", "duration"], snapshot.Captures());
            Assert.Equal("null", snapshot.Capture("exception").Value);
            Assert.Equal("3", snapshot.Value("times"));
            Assert.Equal("Touch(int times)", snapshot.Attribute("method_signature"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Every_overload_is_instrumented_and_the_snapshot_says_which_one_fired(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Describe", "method_capture", everyCall: true));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => Assert.Equal("int:5|string:s5", session.App.Call("methods", "describe 5")),
                s => s.Select(x => x.Attribute("method_signature")).Distinct().Count() >= 2);

            var ofInt = snapshots.First(s => s.Attribute("method_signature") == "Describe(int value)");
            var ofString = snapshots.First(s => s.Attribute("method_signature") == "Describe(string value)");
            Assert.Equal("int:5", ofInt.Capture("return").Value);
            Assert.Equal("5", ofInt.Value("value"));
            Assert.Equal("int", ofInt.Type("value"));
            Assert.Equal("string:s5", ofString.Capture("return").Value);
            Assert.Equal("s5", ofString.Value("value"));
            Assert.Equal("string", ofString.Type("value"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_method_with_its_own_try_catch_finally_returns_what_it_returned_on_both_paths(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Guarded", "method_capture", everyCall: true));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => Assert.Equal("8|-1", session.App.Call("methods", "guarded 4")),
                s => s.Any(x => x.Value("n") == "4") && s.Any(x => x.Value("n") == "-4"));

            // The exception thrown and caught inside never leaves the method: no exception, the catch's return value.
            var positive = snapshots.First(s => s.Value("n") == "4");
            var negative = snapshots.First(s => s.Value("n") == "-4");
            Assert.Equal("8", positive.Capture("return").Value);
            Assert.Equal("-1", negative.Capture("return").Value);
            Assert.Equal("null", negative.Capture("exception").Value);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_constructor_exit_shows_the_constructed_this_and_its_argument(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method(".ctor", "method_end"));
        var start = await session.Api.CreateAsync(File, 0, Method(".ctor", "method_start"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("6", session.App.Call("methods", "ctor 5")), s => s.Count >= 1))[0];
            var atEntry = (await session.DriveUntilAsync(start, () => Assert.Equal("6", session.App.Call("methods", "ctor 5")), s => s.Count >= 1))[0];

            Assert.Equal("ctor-5", snapshot.Value("shop"));
            Assert.Equal("Pricing", snapshot.Type("this"));
            Assert.Equal(["exception", "duration"], snapshot.Captures());
            Assert.Equal("Pricing(string shop)", snapshot.Attribute("method_signature"));
            // At entry, before the field initialisers and the base constructor ran: the argument, `this` not built yet.
            Assert.Equal("ctor-5", atEntry.Value("shop"));
            Assert.Equal("Pricing", atEntry.Type("this"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
            await session.Api.DeleteAsync(start);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_struct_method_returns_and_shows_this_as_it_is_at_exit(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Plus", "method_capture", "Wallet"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("107", session.App.Call("methods", "money 7")), s => s.Count >= 1))[0];

            Assert.Equal("107", snapshot.Capture("return").Value);
            Assert.Equal("7", snapshot.Value("more"));
            Assert.Equal("Wallet", snapshot.Type("this"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_span_return_value_is_not_captured_but_the_probe_fires_and_a_ref_return_shows_its_target(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var window = await session.Api.CreateAsync(File, 0, Method("Window", "method_capture", "Buffers"));
        var at = await session.Api.CreateAsync(File, 0, Method("At", "method_capture", "Buffers"));
        try
        {
            var ofWindow = (await session.DriveUntilAsync(window, () => Assert.Equal("3", session.App.Call("methods", "window 2")), s => s.Count >= 1))[0];
            var ofAt = (await session.DriveUntilAsync(at, () => Assert.Equal("40", session.App.Call("methods", "at 3")), s => s.Count >= 1))[0];

            Assert.Equal(["exception", "duration"], ofWindow.Captures());
            Assert.Equal("2", ofWindow.Value("start"));
            Assert.Equal("40", ofAt.Capture("return").Value);
            Assert.Equal("int", ofAt.Capture("return").Type);
        }
        finally
        {
            await session.Api.DeleteAsync(window);
            await session.Api.DeleteAsync(at);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_generic_method_reports_the_return_value_of_every_instantiation(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Echo", "method_capture", everyCall: true));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => Assert.Equal("6|e6|6", session.App.Call("methods", "echo 6")),
                s => s.Select(x => x.Capture("return").Type).Distinct().Count() >= 3);

            Assert.Equal("6", snapshots.First(s => s.Capture("return").Type == "int").Capture("return").Value);
            Assert.Equal("e6", snapshots.First(s => s.Capture("return").Type == "string").Capture("return").Value);
            Assert.Contains(snapshots, s => s.Capture("return").Type == "Wallet");
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_async_method_s_method_capture_reports_the_awaited_return_value_and_the_time_until_its_task_completed(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync("AsyncOutcomes.cs", 0, Method("PriceAsync", "method_capture", "AsyncOutcomeService"));
        try
        {
            // PriceAsync(3) on "svc-3": 3 * 100 + 5, after awaiting Task.Delay(60).
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("305", session.App.Call("async-outcome", "price 3")), s => s.Count >= 1))[0];

            Assert.Equal(["return", "exception", "duration"], snapshot.Captures());
            Assert.Equal("305", snapshot.Capture("return").Value);
            Assert.Equal("int", snapshot.Capture("return").Type);
            Assert.Equal("null", snapshot.Capture("exception").Value);
            long duration = long.Parse(snapshot.Capture("duration").Value!, CultureInfo.InvariantCulture);
            // At least the awaited Task.Delay(60) (whose timer may fire up to a tick early); the synchronous part is microseconds.
            Assert.InRange(duration, 55_000_000L, 60_000_000_000L);
            // this and the arguments as they were when the method returned its task.
            Assert.Equal("3", snapshot.Value("n"));
            Assert.Equal("AsyncOutcomeService", snapshot.Type("this"));
            Assert.Equal("PriceAsync", snapshot.MethodName);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_async_method_that_throws_after_an_await_reports_that_exception_and_the_application_still_gets_it(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync("AsyncOutcomes.cs", 0, Method("RefundAsync", "method_end", "AsyncOutcomeService"));
        try
        {
            var seen = new List<string>();
            var snapshot = (await session.DriveUntilAsync(id, () => seen.Add(session.App.Call("async-outcome", "refund 3")), s => s.Count >= 1))[0];

            Assert.All(seen, s => Assert.Equal("InvalidOperationException|refund 3 refused", s));
            Assert.Equal(["exception", "duration"], snapshot.Captures());
            Assert.Equal("InvalidOperationException", snapshot.Capture("exception").Type);
            Assert.Equal("InvalidOperationException: refund 3 refused", snapshot.Capture("exception").Value);
            long duration = long.Parse(snapshot.Capture("duration").Value!, CultureInfo.InvariantCulture);
            Assert.InRange(duration, 15_000_000L, 60_000_000_000L); // the awaited Task.Delay(20), give or take a timer tick
            Assert.Equal("3", snapshot.Value("n"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_condition_on_the_exception_of_an_async_method_fires_only_for_the_call_whose_task_faulted(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var args = Method("RefundAsync", "method_capture", "AsyncOutcomeService", everyCall: true);
        args["condition"] = "exception != null";
        var id = await session.Api.CreateAsync("AsyncOutcomes.cs", 0, args);
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                Assert.Equal("2", session.App.Call("async-outcome", "refund 2"));
                Assert.Equal("InvalidOperationException|refund 5 refused", session.App.Call("async-outcome", "refund 5"));
            }, s => s.Count >= 2);

            Assert.All(snapshots, s =>
            {
                Assert.Equal("5", s.Value("n"));
                Assert.Equal("InvalidOperationException: refund 5 refused", s.Capture("exception").Value);
            });
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_method_of_a_generic_type_reports_this_argument_and_return_for_each_instantiation(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Swap", "method_capture", "Holder", everyCall: true));
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () => Assert.Equal("4|h4", session.App.Call("methods", "holder 4")),
                s => s.Any(x => x.Value("next") == "5") && s.Any(x => x.Value("next") == "k4"));

            var ofInt = snapshots.First(s => s.Value("next") == "5");
            var ofString = snapshots.First(s => s.Value("next") == "k4");
            Assert.Equal("4", ofInt.Capture("return").Value);
            Assert.Equal("Holder<int>", ofInt.Type("this"));
            Assert.Equal("h4", ofString.Capture("return").Value);
            Assert.Equal("Holder<string>", ofString.Type("this"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_method_using_stackalloc_is_wrapped_and_returns_its_value(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("StackSum", "method_capture"));
        try
        {
            // (0 + 1 + ... + 7) * 3 = 84
            var snapshot = (await session.DriveUntilAsync(id, () => Assert.Equal("84", session.App.Call("methods", "stack 3")), s => s.Count >= 1))[0];

            Assert.Equal("84", snapshot.Capture("return").Value);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task An_exception_from_a_callee_passing_through_is_reported_and_still_reaches_the_caller_s_filter(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Method("Relay", "method_capture"));
        try
        {
            var seen = new List<string>();
            var snapshot = (await session.DriveUntilAsync(id, () => seen.Add(session.App.Call("methods", "relay 9")), s => s.Count >= 1))[0];

            Assert.All(seen, s => Assert.Equal("InvalidOperationException|code 9|top=Fail", s));
            Assert.Equal(["exception", "duration"], snapshot.Captures());
            Assert.Equal("InvalidOperationException", snapshot.Capture("exception").Type);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}

internal static class MethodSnapshotExtensions
{
    /// <summary>The names of the CAPTURE watches, in order.</summary>
    public static IReadOnlyList<string> Captures(this Snapshot snapshot) =>
        (snapshot.Json["watches"]?.AsArray() ?? [])
            .Where(w => w!["source"]?.ToString() is "CAPTURE" or "3")
            .Select(w => w!["expression"]!.GetValue<string>()).ToList();

    /// <summary>A CAPTURE watch's value text and type.</summary>
    public static (string? Value, string? Type) Capture(this Snapshot snapshot, string name)
    {
        var watch = (snapshot.Json["watches"]?.AsArray() ?? [])
            .FirstOrDefault(w => w!["expression"]?.GetValue<string>() == name && w["source"]?.ToString() is "CAPTURE" or "3")
            ?? throw new Xunit.Sdk.XunitException($"no CAPTURE watch '{name}' in {snapshot}");
        var id = watch["goodResult"]?["ID"]?.GetValue<string>();
        var variable = id is null ? null : snapshot.Json["varLookup"]?[id] as JsonObject;
        return (variable?["value"]?.GetValue<string>(), variable?["type"]?.GetValue<string>());
    }
}
