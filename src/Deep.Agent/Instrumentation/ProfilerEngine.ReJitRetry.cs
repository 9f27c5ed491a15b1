using System.Reflection;
using Deep.Agent.Native;

namespace Deep.Agent.Instrumentation;

/// <summary>
/// A ReJIT request that the runtime accepted but never acts on. Seen here about once in a few hundred requests
/// on a loaded machine: <c>RequestReJITWithInliners</c> returns S_OK, the method keeps being called, and the runtime
/// never asks for the new body (no <c>GetReJITParameters</c>), so the probe is "installed" but never fires. The same
/// request made again is taken at once. Likely a race between the request and a JIT of the original code that is
/// under way at that moment (a first call, or a tier-1 recompilation); the cause is not proven.
/// A generic method has one compiled copy per value-type instantiation and one shared by reference types; the runtime
/// asks for the body once, so one copy can take it while another keeps the old code: the profiler reports the method
/// as <see cref="MethodState.Partial"/> while a compiled copy has no code for the newest version, and the engine asks
/// again for it at most <see cref="MaxPartialRequests"/> times.
/// The engine therefore checks, with growing delays, whether the runtime took the body, and asks again while it has
/// not. A method that is simply not called yet also stays "requested": the checks stop after about eight minutes so
/// such a method costs a bounded number of requests (each one is a short runtime suspension).
/// </summary>
internal sealed partial class ProfilerEngine
{
    // Seconds between checks; the sum (~8 min) bounds how long a never-called method is re-requested.
    private static readonly double[] s_activationChecks = [0.5, 1, 2, 4, 8, 15, 30, 60, 120, 240];

    // A copy that is behind only because it was not called takes the new code on its next call by itself (the request
    // reset every copy); only a copy that kept its old code needs another request, and one or two catch that.
    internal const int MaxPartialRequests = 2;

    // Engine thread only: the current watch per method (a newer Apply replaces it).
    private readonly Dictionary<MethodBase, ActivationWatch> _watches = [];
    private volatile bool _watchStopped;

    /// <summary>Re-requests made because the runtime had not taken a body (tests and diagnostics).</summary>
    internal int ReJitRetries { get; private set; }

    /// <summary>Delays between activation checks, shortened by tests.</summary>
    internal double ActivationCheckScale { get; set; } = 1.0;

    private sealed class ActivationWatch(MethodBase method)
    {
        public MethodBase Method { get; } = method;
        public int Step;
        public int PartialRequests;
        public Timer? Timer;
    }

    private void WatchActivation(MethodBase method, bool rewritten)
    {
        if (_watches.Remove(method, out var previous))
        {
            previous.Timer?.Dispose();
        }
        if (!rewritten || _watchStopped)
        {
            return;
        }
        var watch = new ActivationWatch(method);
        _watches[method] = watch;
        Arm(watch);
    }

    private void Arm(ActivationWatch watch)
    {
        if (watch.Step >= s_activationChecks.Length || _watchStopped)
        {
            _watches.Remove(watch.Method);
            return;
        }
        var due = TimeSpan.FromSeconds(s_activationChecks[watch.Step] * ActivationCheckScale);
        watch.Timer?.Dispose();
        // The timer only queues the check: all bookkeeping stays on the engine thread.
        watch.Timer = new Timer(_ => Enqueue(() => CheckActivation(watch)), null, due, Timeout.InfiniteTimeSpan);
    }

    private void CheckActivation(ActivationWatch watch)
    {
        if (!_watches.TryGetValue(watch.Method, out var current) || current != watch)
        {
            return; // the method was rewritten again or restored since
        }
        watch.Step++;
        var state = _rewriter.StateOf(watch.Method);
        if (state == MethodState.Partial && ++watch.PartialRequests > MaxPartialRequests)
        {
            _watches.Remove(watch.Method);
            watch.Timer?.Dispose();
            EngineLog.Info($"a compiled copy of {Symbols.LineResolver.Describe(watch.Method)} still has its old code after {MaxPartialRequests} more requests; it takes the new code when it is called");
            return;
        }
        if (state is not (MethodState.Requested or MethodState.Partial))
        {
            _watches.Remove(watch.Method);
            watch.Timer?.Dispose();
            return; // taken (Active), failed, reverted, or the rewriter cannot tell
        }
        ReJitRetries++;
        EngineLog.Info(state == MethodState.Partial
            ? $"a compiled copy of {Symbols.LineResolver.Describe(watch.Method)} (a generic instantiation) does not run the new code yet; requesting it again"
            : $"the runtime has not taken the new code of {Symbols.LineResolver.Describe(watch.Method)} yet; requesting it again");
        var insertions = InsertionsOf(watch.Method);
        if (insertions.Count == 0)
        {
            return;
        }
        try
        {
            var result = _rewriter.SetMethodProbesAsync(watch.Method, insertions).GetAwaiter().GetResult();
            if (!result.Success)
            {
                EngineLog.Warn($"requesting {Symbols.LineResolver.Describe(watch.Method)} again failed: {result.Error}");
                _watches.Remove(watch.Method);
                return;
            }
        }
        catch (Exception e)
        {
            EngineLog.Warn($"requesting {Symbols.LineResolver.Describe(watch.Method)} again failed: {e.Message}");
            _watches.Remove(watch.Method);
            return;
        }
        Arm(watch);
    }

    private void StopActivationWatch()
    {
        _watchStopped = true;
        Enqueue(() =>
        {
            foreach (var watch in _watches.Values)
            {
                watch.Timer?.Dispose();
            }
            _watches.Clear();
        });
    }
}
