using Deep.Integration.Tests.Infrastructure;

namespace Deep.Integration.Tests.Tracepoints;

// span=method and span=line, observed by an ActivityListener inside the test app (Methods.cs, Spans.Observe): each
// call runs under an application activity "app-op" and reports the deep spans stopped during the call (name, parent,
// trace, tracepoint tag) and the current activity afterwards.
[Collection(EndToEndCollection.Name)]
public sealed class SpanTracepointTests
{
    private const string File = "Methods.cs";
    private const string Source = "tests/TestApps/Deep.TestApp/Methods.cs";

    private static int Line(string marker) => Repo.Line(Source, marker);

    private static Dictionary<string, string> Args(string span, string? method = null) => new()
    {
        ["span"] = span,
        ["fire_count"] = "-1",
        ["fire_period"] = "0",
        ["snapshot"] = "collect",
        [method is null ? "stage" : "method_name"] = method ?? "line_start",
    };

    // Fires until the probe is in (a snapshot arrived), then one more call whose report is checked exactly.
    private static async Task<string> ObserveAsync(AppSession session, string id, string call)
    {
        await session.DriveUntilAsync(id, () => session.App.Call("methods", call), s => s.Count >= 1);
        return session.App.Call("methods", call);
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_method_span_is_current_inside_the_method_nests_under_the_caller_s_activity_and_stops_at_return(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Args("method", "Traced"));
        try
        {
            var report = await ObserveAsync(session, id, "span-method 2");
            // 201: the method saw the deep span as Activity.Current; it stopped, parented by app-op; app-op is current again.
            Assert.Equal($"result=201;spans=Traced[parent=app-op,trace=same,tp={id},ended=True];after=app-op", report);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_method_span_stops_when_the_method_throws_and_the_exception_is_unchanged(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        var id = await session.Api.CreateAsync(File, 0, Args("method", "TracedThrows"));
        try
        {
            var report = await ObserveAsync(session, id, "span-method-throws 3");
            Assert.Equal($"result=threw InvalidOperationException;spans=TracedThrows[parent=app-op,trace=same,tp={id},ended=True];after=app-op", report);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_span_covers_the_line_and_stops_before_the_next_line(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        int line = Line("span-line");
        var id = await session.Api.CreateAsync(File, line, Args("line"));
        try
        {
            var report = await ObserveAsync(session, id, "span-line 3");
            // Inside the line the span is current; on the next line app-op is current again.
            Assert.Equal($"result=6:Methods.cs:{line}/app-op;spans=Methods.cs:{line}[parent=app-op,trace=same,tp={id},ended=True];after=app-op", report);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }

    [Theory]
    [InlineData("Debug")]
    [InlineData("Release")]
    public async Task A_line_span_stops_when_the_line_throws(string configuration)
    {
        var session = await AppSession.GetAsync(configuration);
        int line = Line("span-line-throws");
        var id = await session.Api.CreateAsync(File, line, new Dictionary<string, string>(Args("line")) { ["span_name"] = "risky" });
        try
        {
            var report = await ObserveAsync(session, id, "span-line-throws 1");
            Assert.Equal($"result=threw InvalidOperationException;spans=risky[parent=app-op,trace=same,tp={id},ended=True];after=app-op", report);
        }
        finally
        {
            await session.Api.DeleteAsync(id);
        }
    }
}
