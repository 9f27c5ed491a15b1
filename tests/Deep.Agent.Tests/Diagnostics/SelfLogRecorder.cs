using Deep.Agent.Diagnostics;

namespace Deep.Agent.Tests.Diagnostics;

/// <summary>What the agent's self-log writes while this is alive (a <c>using</c> scope), for a test to assert on.</summary>
internal sealed class SelfLogRecorder : IDisposable
{
    private readonly List<(string Level, string Message)> _lines = [];

    public SelfLogRecorder() => SelfLog.Written += OnWrite;

    /// <summary>Every message so far, in order.</summary>
    public IReadOnlyList<string> Messages => Where(_ => true);

    /// <summary>The messages written at level <c>error</c>.</summary>
    public IReadOnlyList<string> Errors => Where(level => level == "error");

    public void Dispose() => SelfLog.Written -= OnWrite;

    private IReadOnlyList<string> Where(Func<string, bool> level)
    {
        lock (_lines) return _lines.Where(l => level(l.Level)).Select(l => l.Message).ToList();
    }

    private void OnWrite(string level, string message)
    {
        lock (_lines) _lines.Add((level, message));
    }
}
