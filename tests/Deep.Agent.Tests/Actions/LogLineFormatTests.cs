using Deep.Agent.Actions;

namespace Deep.Agent.Tests.Actions;

public class LogLineFormatTests
{
    [Fact]
    public void The_default_sink_writes_one_line_with_tracepoint_then_context_ids()
    {
        // Defect 13: the reference agent swapped the two ids.
        var writer = new StringWriter();
        new ConsoleLogSink(writer).Emit(new DeepLogEntry("hello", "tp-7", "ctx-3", "A.cs", 1));
        Assert.Equal($"[deep] hello tracepoint=tp-7 context=ctx-3{Environment.NewLine}", writer.ToString());
    }
}
