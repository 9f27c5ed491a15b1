using System.Diagnostics;

namespace Deep.Agent.Instrumentation;

/// <summary>
/// Self-diagnostics of the instrumentation engine. Goes to <see cref="Trace"/> (and stderr with <c>DEEP_DEBUG=true</c>)
/// so a developer can see why a tracepoint did not install without attaching a debugger.
/// </summary>
internal static class EngineLog
{
    private static readonly bool ToStderr =
        string.Equals(Environment.GetEnvironmentVariable("DEEP_DEBUG"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Something a developer may want to know.</summary>
    public static void Info(string message) => Write("info", message);

    /// <summary>Something that went wrong and was handled.</summary>
    public static void Warn(string message) => Write("warn", message);

    private static void Write(string level, string message)
    {
        try
        {
            Trace.WriteLine($"[deep engine {level}] {message}");
            if (ToStderr)
            {
                Console.Error.WriteLine($"[deep engine {level}] {message}");
            }
        }
        catch (Exception)
        {
            // Diagnostics must never hurt the host.
        }
    }
}
