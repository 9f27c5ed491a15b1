using System.Globalization;
using System.Text.Json.Nodes;
using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// Line tracepoints inside code the compiler rewrites: an async method's state machine and lambdas / local functions
// (their closures). Expected values are computed here from tests/TestApps/Deep.TestApp/Shapes.cs.
[Collection(EndToEndCollection.Name)]
public sealed class ShapeTracepointTests
{
    private const string File = "Shapes.cs";
    private const string Source = "tests/TestApps/Deep.TestApp/Shapes.cs";

    private static int Line(string marker) => Repo.Line(Source, marker);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_after_an_await_shows_hoisted_locals_parameters_and_this_under_their_source_names(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("async-after-await"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("async", 4), s => s.Count >= 1))[0];

            // SumAsync(4) on AsyncOrders("async-4"): total = 40, label = "async-4#4", before the line runs.
            Assert.Equal("4", snapshot.Value("count"));
            Assert.Equal("40", snapshot.Value("total"));
            Assert.Equal("async-4#4", snapshot.Value("label"));
            Assert.Equal("AsyncOrders", snapshot.Type("this"));
            Assert.Equal("SumAsync", snapshot.MethodName);
            Assert.True(snapshot.IsAsync());
            Assert.Equal(Line("async-after-await"), snapshot.LineNumber);
            // The state machine itself is not shown, nor the compiler's bookkeeping fields.
            Assert.DoesNotContain(snapshot.Names, n => n.Contains('<', StringComparison.Ordinal));
            Assert.DoesNotContain("inner", snapshot.Names); // declared in a later block: not in scope here
            // The compiler's names of hoisted locals are kept as original_name.
            Assert.Matches(@"^<total>5__\d+$", snapshot.OriginalName("total"));
            // It fired on the thread the await resumed on: the one that ran `resumedOn = CurrentManagedThreadId`.
            Assert.Equal(snapshot.Value("resumedOn"), snapshot.Attribute("thread_id"));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_in_a_nested_block_of_an_async_method_sees_that_block_s_locals(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("async-inner"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("async", 2), s => s.Count >= 1))[0];

            // count 2: total = 20 + "async-2#2".Length (9) + 2 = 31; inner = 62.
            Assert.Equal("31", snapshot.Value("total"));
            Assert.Equal("62", snapshot.Value("inner"));
            Assert.Equal("2", snapshot.Value("count"));
            Assert.True(snapshot.IsAsync());
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task Conditions_use_the_source_names_of_hoisted_locals_and_the_original_this(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("async-after-await"),
            new Dictionary<string, string> { ["condition"] = "total == 50 && label == \"async-5#5\" && this.Name == \"async-5\" && Name == this.Name", ["fire_count"] = "-1", ["fire_period"] = "0" });
        try
        {
            var snapshots = await session.DriveUntilAsync(id, () =>
            {
                session.App.Call("async", 3);
                session.App.Call("async", 5);
            }, s => s.Count >= 1);

            Assert.All(snapshots, s => Assert.Equal("5", s.Value("count")));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_lambda_line_shows_its_parameter_its_local_and_the_captured_variables(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("lambda-line"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("closures", 3), s => s.Count >= 1))[0];

            // Run(3): factor = 9, prefix = "p3"; format(4): scaled = 36.
            Assert.Equal("4", snapshot.Value("value"));
            Assert.Equal("36", snapshot.Value("scaled"));
            Assert.Equal("9", snapshot.Value("factor"));
            Assert.Equal("p3", snapshot.Value("prefix"));
            Assert.DoesNotContain(snapshot.Names, n => n.Contains('<', StringComparison.Ordinal));
            Assert.DoesNotContain("this", snapshot.Names); // a static method's lambda has no `this` a developer wrote
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_of_the_method_that_creates_a_lambda_shows_the_variables_the_lambda_captured(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("closure-owner-line"),
            new Dictionary<string, string> { ["condition"] = "factor == 21" },
            ["prefix + factor"]);
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () =>
            {
                session.App.Call("closures", 4);
                session.App.Call("closures", 7);
            }, s => s.Count >= 1))[0];

            // Run(7): factor = 21, prefix = "p7", formatted = format(8) = "p7" + 168.
            Assert.Equal("7", snapshot.Value("n"));
            Assert.Equal("21", snapshot.Value("factor"));
            Assert.Equal("p7", snapshot.Value("prefix"));
            Assert.Equal("p7168", snapshot.Value("formatted"));
            Assert.Equal("p721", snapshot.WatchValue("prefix + factor"));
            Assert.DoesNotContain(snapshot.Names, n => n.Contains('<', StringComparison.Ordinal));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_local_function_line_shows_its_parameter_its_local_and_the_captured_variable(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("local-function-line"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("closures", 2), s => s.Count >= 1))[0];

            // Run(2): factor = 6; Local(4): doubled = 8.
            Assert.Equal("4", snapshot.Value("step"));
            Assert.Equal("8", snapshot.Value("doubled"));
            Assert.Equal("6", snapshot.Value("factor"));
            Assert.Equal("Run.Local", snapshot.MethodName);
            Assert.DoesNotContain(snapshot.Names, n => n.Contains('<', StringComparison.Ordinal));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_local_function_with_a_struct_closure_shows_the_captured_variable(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, Line("struct-local-line"));
        try
        {
            var snapshot = (await session.DriveUntilAsync(id, () => session.App.Call("closures", 5), s => s.Count >= 1))[0];

            // StructClosure(5): offset = 105; Add(5): sum = 110.
            Assert.Equal("5", snapshot.Value("step"));
            Assert.Equal("110", snapshot.Value("sum"));
            Assert.Equal("105", snapshot.Value("offset"));
            Assert.DoesNotContain(snapshot.Names, n => n.Contains('<', StringComparison.Ordinal) || n.Length == 0 || n.StartsWith("arg", StringComparison.Ordinal));
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}

internal static class ShapeSnapshotExtensions
{
    private static JsonObject Frame(Snapshot snapshot) => snapshot.Json["frames"]!.AsArray()[0]!.AsObject();

    public static bool IsAsync(this Snapshot snapshot) => Frame(snapshot)["isAsync"]?.GetValue<bool>() ?? false;

    public static string? WatchValue(this Snapshot snapshot, string expression)
    {
        var watch = (snapshot.Json["watches"]?.AsArray() ?? []).FirstOrDefault(w => w!["expression"]?.GetValue<string>() == expression);
        var id = watch?["goodResult"]?["ID"]?.GetValue<string>();
        return id is null ? null : snapshot.Json["varLookup"]?[id]?["value"]?.GetValue<string>();
    }

    public static string? OriginalName(this Snapshot snapshot, string name) =>
        (Frame(snapshot)["variables"]?.AsArray() ?? []).FirstOrDefault(v => v!["name"]!.GetValue<string>() == name)?["originalName"]?.GetValue<string>();
}
