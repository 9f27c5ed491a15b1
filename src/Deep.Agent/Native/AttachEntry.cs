using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

namespace Deep.Agent.Native;

/// <summary>
/// Where the profiler enters the agent after <c>deep attach</c> (see <c>src/Deep.Profiler/Attach/AgentLoader.cs</c>):
/// the profiler loaded this assembly into the default AssemblyLoadContext through the application's own hostfxr and
/// calls <see cref="Start"/> on a thread of its own. Not for applications: they call <see cref="DeepAgent.Start"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class AttachEntry
{
    /// <summary>
    /// Applies the settings (UTF-8 <c>key=value</c> lines: <c>profiler</c> = the attached library, <c>DEEP_*</c> =
    /// agent settings, set as this process's environment variables as <c>deep run</c> would have) and starts the
    /// agent. Writes a NUL-terminated UTF-8 message to <paramref name="message"/>. Returns 0 when the agent runs with
    /// the profiler engine, 1 when it was already running, 2 when it did not start. Never throws.
    /// </summary>
    [UnmanagedCallersOnly]
    public static int Start(byte* settings, int settingsLength, byte* message, int messageCapacity)
    {
        int code;
        string text;
        try
        {
            (code, text) = Apply(settings == null || settingsLength <= 0 ? "" : Encoding.UTF8.GetString(settings, settingsLength));
        }
        catch (Exception e)
        {
            (code, text) = (2, "the agent's attach entry failed: " + e.Message);
        }
        try
        {
            if (message != null && messageCapacity > 0)
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                int n = Math.Min(bytes.Length, messageCapacity - 1);
                bytes.AsSpan(0, n).CopyTo(new Span<byte>(message, n));
                message[n] = 0;
            }
        }
        catch
        {
            // the code alone still says what happened
        }
        return code;
    }

    internal static (int Code, string Message) Apply(string settings)
    {
        foreach (var raw in settings.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                continue;
            string key = line[..eq], value = line[(eq + 1)..];
            if (key == "profiler")
                ProfilerBridge.AttachedProfilerPath = value;
            else if (key.StartsWith("DEEP_", StringComparison.Ordinal))
                Environment.SetEnvironmentVariable(key, value);
        }
        if (DeepAgent.IsRunning)
            return (1, ProfilerBridge.IsLoaded
                ? "the agent is already running in this process"
                : "the agent is already running in this process, started without the profiler: it keeps running without it (restart the process, or let DeepAgent.Start attach the profiler: docs/attach.md)");
        if (!DeepAgent.Start())
            return (2, "the agent did not start (DEEP_ENABLED=false, or a failure it wrote to the process's stderr with DEEP_DEBUG=true)");
        return ProfilerBridge.IsLoaded
            ? (0, "agent started with the profiler engine")
            : (2, "the agent started but cannot use the profiler: " + ProfilerBridge.NotLoadedReason);
    }
}
