using Deep.Agent.Diagnostics;

namespace Deep.Agent.Capture;

/// <summary>
/// Runs the capture code once on an agent thread at start, so the first real snapshot on an application thread does
/// not pay for JIT-compiling the collector and the expression-tree machinery behind its field readers (measured at
/// 100+ ms on a loaded 2-core machine: enough to hit the capture time budget and truncate the first snapshot).
/// </summary>
internal static class CaptureWarmup
{
    public static void StartInBackground(Redactor redactor)
    {
        var thread = new Thread(() => Run(redactor)) { IsBackground = true, Name = "deep-warmup", Priority = ThreadPriority.BelowNormal };
        thread.Start();
    }

    internal static void Run(Redactor redactor)
    {
        try
        {
            Probes.ProbeRuntime.MarkAgentThread();
            var sample = new Sample();
            var collector = new VariableCollector(new CaptureLimits(MaxTimeMs: 10_000), redactor);
            collector.Capture("sample", sample, typeof(Sample));
            collector.Capture("count", 3, typeof(int));
            collector.Capture("text", "warm", typeof(string));
            _ = FrameCollector.Collect(0, new FrameOptions(IncludeStack: false));
        }
        catch (Exception e)
        {
            SelfLog.Info("capture warm-up failed (the first snapshot may be slower): " + e.Message);
        }
    }

    private sealed class Sample
    {
        private readonly int _id = 1;
        private readonly string _name = "warm-up";
        private readonly decimal _amount = 1.5m;
        private readonly DateTime _when = DateTime.UnixEpoch;
        private readonly Sample? _next;
        private readonly List<string> _items = ["a", "b"];
        private readonly Dictionary<string, int> _map = new() { ["a"] = 1 };
        private readonly int[] _numbers = [1, 2, 3];
        private readonly DayOfWeek _day = DayOfWeek.Monday;
        private readonly int? _maybe = 4;

        public Sample(Sample? next = null) => _next = next;

        public int Id { get; } = 2;

        public override string ToString() => $"{_id}{_name}{_amount}{_when}{_next}{_items.Count}{_map.Count}{_numbers.Length}{_day}{_maybe}";
    }
}
