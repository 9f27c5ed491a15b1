using Deep.Agent.Actions;
using Microsoft.Extensions.Logging;

namespace Deep.Agent.Logging;

/// <summary>
/// Writes tracepoint log lines to an <see cref="ILogger"/> (category <c>deep</c> by default) at Information level,
/// with the tracepoint and hit ids as structured properties. Add it to <see cref="DeepAgentOptions.LogSinks"/>.
/// It never touches the application's root logger configuration.
/// </summary>
public sealed class LoggerLogSink : IDeepLogSink
{
    private static readonly Action<ILogger, string, string, string, Exception?> s_write =
        LoggerMessage.Define<string, string, string>(LogLevel.Information, new EventId(1, "DeepTracepointLog"),
            "[deep] {Message} tracepoint={TracepointId} context={ContextId}");

    private readonly ILogger _logger;

    /// <summary>Logs through <paramref name="logger"/>.</summary>
    public LoggerLogSink(ILogger logger) => _logger = logger ?? throw new ArgumentNullException(nameof(logger));

    /// <summary>Logs through a logger of category <c>deep</c> from <paramref name="factory"/>.</summary>
    public LoggerLogSink(ILoggerFactory factory)
        : this((factory ?? throw new ArgumentNullException(nameof(factory))).CreateLogger("deep"))
    {
    }

    /// <inheritdoc />
    public void Emit(DeepLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        s_write(_logger, entry.Message, entry.TracepointId, entry.ContextId, null);
    }
}
