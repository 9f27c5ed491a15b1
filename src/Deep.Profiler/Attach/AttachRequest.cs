using System.Text;

namespace Deep.Profiler.Attach;

/// <summary>
/// What the attaching client asked for, from the AttachProfiler client data: UTF-8 <c>key=value</c> lines.
/// <c>agent</c> (Deep.Agent.dll to load), <c>runtimeconfig</c> (for hostfxr), <c>status</c> (a file to report
/// progress to); every other line is handed to the agent's attach entry point unchanged (its settings).
/// No client data, or no <c>agent</c>, means only the profiler is wanted (the agent attaching its own process).
/// </summary>
internal sealed class AttachRequest
{
    private static readonly object s_statusLock = new();
    private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public string? AgentPath { get; private init; }
    public string? RuntimeConfigPath { get; private init; }
    public string? StatusPath { get; private init; }

    /// <summary>The lines for the agent, as UTF-8 text.</summary>
    public byte[] AgentSettings { get; private init; } = [];

    /// <summary>The request the runtime passed to InitializeForAttach, kept for ProfilerAttachComplete.</summary>
    public static AttachRequest? Pending { get; set; }

    public static unsafe AttachRequest Parse(nint data, uint length)
    {
        if (data == 0 || length == 0)
            return new AttachRequest();
        var bytes = new ReadOnlySpan<byte>((void*)data, (int)Math.Min(length, 1u << 20));
        return Parse(Encoding.UTF8.GetString(bytes));
    }

    public static AttachRequest Parse(string text)
    {
        string? agent = null, runtimeConfig = null, status = null;
        var rest = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            int eq = line.IndexOf('=');
            if (eq <= 0)
                continue;
            string key = line[..eq], value = line[(eq + 1)..];
            switch (key)
            {
                case "agent": agent = value; break;
                case "runtimeconfig": runtimeConfig = value; break;
                case "status": status = value; break;
                default: rest.Append(line).Append('\n'); break;
            }
        }
        return new AttachRequest
        {
            AgentPath = agent,
            RuntimeConfigPath = runtimeConfig,
            StatusPath = status,
            AgentSettings = Encoding.UTF8.GetBytes(rest.ToString()),
        };
    }

    /// <summary>Appends one line (<c>progress ...</c>, <c>ok ...</c>, <c>error ...</c>) to the status file. Never throws.</summary>
    public void Report(string line)
    {
        Log.Write("attach: " + line);
        if (StatusPath is null)
            return;
        try
        {
            lock (s_statusLock)
                File.AppendAllText(StatusPath, line.Replace('\n', ' ') + "\n", s_utf8);
        }
        catch
        {
            // The client then times out waiting and says so; the host is not hurt.
        }
    }
}
