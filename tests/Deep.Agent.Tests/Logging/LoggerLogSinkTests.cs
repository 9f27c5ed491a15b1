using Deep.Agent.Actions;
using Deep.Agent.Logging;
using Microsoft.Extensions.Logging;

namespace Deep.Agent.Tests.Logging;

public class LoggerLogSinkTests
{
    private sealed class CapturingProvider : ILoggerProvider
    {
        public List<(string Category, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> State)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Add((category, logLevel, formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
        }
    }

    [Fact]
    public void Lines_go_to_the_deep_category_with_tracepoint_and_context_as_properties()
    {
        var provider = new CapturingProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(provider));
        var sink = new LoggerLogSink(factory);

        sink.Emit(new DeepLogEntry("total is 12", "tp-1", "ctx-9", "OrderService.cs", 42));

        var line = Assert.Single(provider.Lines);
        Assert.Equal("deep", line.Category);
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal("[deep] total is 12 tracepoint=tp-1 context=ctx-9", line.Message);
        Assert.Contains(new KeyValuePair<string, object?>("TracepointId", "tp-1"), line.State);
        Assert.Contains(new KeyValuePair<string, object?>("ContextId", "ctx-9"), line.State);
    }
}
