using System.Text;

namespace Deep.Profiler;

/// <summary>
/// An opt-in log for diagnosing the profiler: set <c>DEEP_PROFILER_LOG=&lt;file&gt;</c>. Off, it costs a null check.
/// Never throws.
/// </summary>
internal static class Log
{
    private static readonly object s_lock = new();
    private static readonly string? s_path = ReadPath();

    public static bool Enabled => s_path is not null;

    public static void Write(string message)
    {
        if (s_path is null)
            return;
        try
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} [{Environment.ProcessId}:{Environment.CurrentManagedThreadId}] {message}\n";
            lock (s_lock)
                File.AppendAllText(s_path, line, Encoding.UTF8);
        }
        catch
        {
            // A log that cannot be written must not hurt the host.
        }
    }

    private static string? ReadPath()
    {
        try
        {
            var path = Environment.GetEnvironmentVariable("DEEP_PROFILER_LOG");
            return string.IsNullOrWhiteSpace(path) ? null : path;
        }
        catch
        {
            return null;
        }
    }
}
