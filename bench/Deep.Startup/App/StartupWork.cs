using System.Runtime.CompilerServices;

namespace Deep.Startup.App;

internal static class StartupWork
{
    /// <summary>VmHWM of this process (peak resident set so far), in KB; -1 when /proc is not there.</summary>
    public static long PeakWorkingSetKb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }

    public static int CallUntilStdinCloses(TimeSpan limit)
    {
        var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
        var deadline = DateTime.UtcNow + limit;
        int total = 0;
        for (int i = 0; !stdinClosed.IsCompleted && DateTime.UtcNow < deadline; i++)
        {
            total += Probed(i);
            Thread.Sleep(1);
        }
        return total == int.MinValue ? 1 : 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Probed(int i)
    {
        int doubled = i * 2; // @startup-probe
        return doubled;
    }
}
