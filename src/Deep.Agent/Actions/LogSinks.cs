namespace Deep.Agent.Actions;

/// <summary>One log line produced by a tracepoint's <c>log_msg</c>.</summary>
/// <param name="Message">The rendered template.</param>
/// <param name="TracepointId">The tracepoint that produced it.</param>
/// <param name="ContextId">The id of this hit (shared with the snapshot, span and metric of the same hit).</param>
/// <param name="Path">The tracepoint's path.</param>
/// <param name="Line">The tracepoint's line.</param>
public sealed record DeepLogEntry(string Message, string TracepointId, string ContextId, string Path, int Line)
{
    /// <summary>The line as the default sink writes it: <c>[deep] &lt;message&gt; tracepoint=&lt;id&gt; context=&lt;id&gt;</c>.</summary>
    public string Formatted => $"[deep] {Message} tracepoint={TracepointId} context={ContextId}";
}

/// <summary>Receives tracepoint log lines. Implementations must be fast and thread-safe; exceptions are contained.</summary>
public interface IDeepLogSink
{
    /// <summary>Writes one line.</summary>
    void Emit(DeepLogEntry entry);
}

/// <summary>The default sink: one line on standard output.</summary>
public sealed class ConsoleLogSink : IDeepLogSink
{
    private readonly TextWriter? _writer;

    /// <summary>Writes to <see cref="Console.Out"/>.</summary>
    public ConsoleLogSink()
    {
    }

    /// <summary>Writes to <paramref name="writer"/>.</summary>
    public ConsoleLogSink(TextWriter writer) => _writer = writer;

    /// <inheritdoc />
    public void Emit(DeepLogEntry entry) => (_writer ?? Console.Out).WriteLine(entry.Formatted);
}
