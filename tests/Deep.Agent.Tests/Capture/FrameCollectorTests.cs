using System.Runtime.CompilerServices;
using Deep.Agent.Capture;
using Deep.Protocol;

namespace Deep.Agent.Tests.Capture;

public class FrameCollectorTests
{
    private static int Line([CallerLineNumber] int line = 0) => line;

    private static string ThisFile([CallerFilePath] string path = "") => path;

    [Fact]
    public void The_innermost_frame_is_the_caller_with_file_line_method_and_class()
    {
        var (frames, line) = (FrameCollector.Collect(0, new FrameOptions()), Line());
        var top = frames[0];
        Assert.Equal(nameof(The_innermost_frame_is_the_caller_with_file_line_method_and_class), top.MethodName);
        Assert.Equal("Deep.Agent.Tests.Capture.FrameCollectorTests", top.ClassName);
        Assert.Equal(ThisFile(), top.FileName);
        Assert.Equal((uint)line, top.LineNumber);
        Assert.False(top.IsAsync);
        Assert.True(top.AppFrame);
        Assert.True(frames.Count > 1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<StackFrame> CollectFromHelper() => FrameCollector.Collect(1, new FrameOptions());

    [Fact]
    public void Skipped_frames_are_left_out()
    {
        var frames = CollectFromHelper();
        Assert.Equal(nameof(Skipped_frames_are_left_out), frames[0].MethodName);
    }

    [Fact]
    public void No_stack_reports_only_the_probed_frame()
    {
        var frames = FrameCollector.Collect(0, new FrameOptions(IncludeStack: false));
        Assert.Single(frames);
        Assert.Equal(nameof(No_stack_reports_only_the_probed_frame), frames[0].MethodName);
    }

    [Fact]
    public void Framework_frames_are_not_app_frames()
    {
        var frames = FrameCollector.Collect(0, new FrameOptions());
        var framework = frames.Where(f => f.ClassName?.StartsWith("System.", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(framework);
        Assert.All(framework, f => Assert.False(f.AppFrame));
    }

    [Fact]
    public void In_app_include_limits_app_frames_to_the_listed_namespaces()
    {
        var frames = FrameCollector.Collect(0, new FrameOptions(InAppInclude: ["Deep.Agent.Tests"]));
        Assert.True(frames[0].AppFrame);
        var others = frames.Where(f => f.ClassName?.StartsWith("Deep.Agent.Tests", StringComparison.Ordinal) != true).ToList();
        Assert.NotEmpty(others);
        Assert.All(others, f => Assert.False(f.AppFrame));
    }

    [Fact]
    public void In_app_exclude_wins_over_everything()
    {
        var frames = FrameCollector.Collect(0, new FrameOptions(InAppInclude: ["Deep.Agent"], InAppExclude: ["Deep.Agent.Tests.Capture"]));
        Assert.False(frames[0].AppFrame);
    }

    [Fact]
    public void The_app_root_makes_short_paths_relative_and_decides_app_frames()
    {
        var file = ThisFile();
        var root = Path.GetDirectoryName(Path.GetDirectoryName(file))!; // .../tests/Deep.Agent.Tests
        var frames = FrameCollector.Collect(0, new FrameOptions(AppRoot: root + "/"));
        Assert.Equal("Capture/FrameCollectorTests.cs", frames[0].ShortPath);
        Assert.True(frames[0].AppFrame);
        Assert.All(frames.Skip(1).Where(f => f.FileName.Length == 0), f => Assert.False(f.AppFrame));
        var elsewhere = FrameCollector.Collect(0, new FrameOptions(AppRoot: "/somewhere/else"));
        Assert.False(elsewhere[0].AppFrame);
        Assert.Equal(file, elsewhere[0].ShortPath);
    }

    [Fact]
    public async Task Async_methods_are_reported_under_their_own_name()
    {
        await Task.Yield();
        var frames = FrameCollector.Collect(0, new FrameOptions());
        var top = frames[0];
        Assert.Equal(nameof(Async_methods_are_reported_under_their_own_name), top.MethodName);
        Assert.Equal("Deep.Agent.Tests.Capture.FrameCollectorTests", top.ClassName);
        Assert.True(top.IsAsync);
    }

    [Fact]
    public void Local_functions_are_named_after_their_enclosing_method()
    {
        var frames = Local();
        Assert.Equal(nameof(Local_functions_are_named_after_their_enclosing_method) + ".Local", frames[0].MethodName);
        Assert.Equal("Deep.Agent.Tests.Capture.FrameCollectorTests", frames[0].ClassName);

        [MethodImpl(MethodImplOptions.NoInlining)]
        static List<StackFrame> Local() => FrameCollector.Collect(0, new FrameOptions());
    }

    [Theory]
    [InlineData("<Main>$", "Main")]                              // top-level statements: not a lambda
    [InlineData("<<Main>$>b__0_0", "Main.lambda")]              // a lambda in top-level statements
    [InlineData("<<Main>$>g__Describe|0_1", "Main.Describe")]   // a local function in top-level statements
    [InlineData("<Run>b__3_0", "Run.lambda")]
    [InlineData("<Run>g__Helper|3_1", "Run.Helper")]
    [InlineData("<get_Total>b__2_0", "get_Total.lambda")]
    [InlineData("PlaceOrder", "PlaceOrder")]
    [InlineData("op_Addition", "op_Addition")]
    [InlineData("<Clone>$", "<Clone>$")]                        // a record's clone method: left as the compiler named it
    [InlineData("<>m__Finally1", "<>m__Finally1")]
    [InlineData("<unclosed", "<unclosed")]
    public void Compiler_generated_method_names_become_the_names_in_the_source(string compiled, string shown)
    {
        Assert.Equal(shown, FrameCollector.SourceMethodName(compiled));
    }
}
