using System.Runtime.InteropServices;

namespace BenchApp;

/// <summary>
/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID, nanoseconds): on a loaded machine a wall time is mostly
/// waiting for a core, while the thread's own CPU time is what the work costs it.
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    public static long Nanoseconds() => ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : -1;
}
