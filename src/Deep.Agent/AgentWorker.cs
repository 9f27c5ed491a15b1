using Deep.Agent.Diagnostics;
using Deep.Agent.Probes;

namespace Deep.Agent;

/// <summary>What a worker's round is told: whether <see cref="AgentWorker.Wake"/> ended the wait before it, and the stop token.</summary>
internal readonly record struct WorkerRound(bool Woken, CancellationToken Stopping);

/// <summary>
/// One background thread of the agent doing its job in rounds (polling, sending, reporting, notifying): a round
/// returns how long to wait before the next one (<see cref="TimeSpan.Zero"/>: at once; <see cref="UntilWoken"/>;
/// <see cref="Finished"/>), <see cref="Wake"/> ends a wait early, and <see cref="Stop"/> cancels the token the round
/// is given and waits a bounded time for the thread. A round that throws is logged and the worker goes on after a
/// pause: nothing here ends the thread by accident or reaches the application. The thread is a background thread
/// (it never keeps the process alive), does not carry the starter's execution context, and probes never fire on it.
/// </summary>
internal sealed class AgentWorker
{
    /// <summary>A round's answer: wait for <see cref="Wake"/> (or <see cref="Stop"/>) before the next round.</summary>
    public static readonly TimeSpan UntilWoken = Timeout.InfiniteTimeSpan;

    /// <summary>A round's answer: the work is over and the thread ends.</summary>
    public static readonly TimeSpan Finished = TimeSpan.MinValue;

    private readonly Func<WorkerRound, TimeSpan> _round;
    private readonly TimeSpan _afterFailure;
    private readonly CancellationTokenSource _stop = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private int _started;
    private volatile bool _ended;

    /// <param name="name">The thread's name (<c>deep-...</c>), also used in the log.</param>
    /// <param name="round">One round of work; see the class summary for what it returns.</param>
    /// <param name="afterFailure">How long to wait after a round threw (1 s when null).</param>
    public AgentWorker(string name, Func<WorkerRound, TimeSpan> round, TimeSpan? afterFailure = null)
    {
        Name = name;
        _round = round;
        _afterFailure = afterFailure ?? TimeSpan.FromSeconds(1);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    public string Name { get; }

    /// <summary>The thread ended (finished, stopped, or never to start).</summary>
    public bool HasEnded => _ended;

    /// <summary>Whether the caller runs on this worker's thread (a round must not wait for its own worker).</summary>
    public bool IsCurrentThread => Thread.CurrentThread == _thread;

    /// <summary>Starts the thread (once; later calls do nothing).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        // UnsafeStart: the agent's thread must not carry the application's AsyncLocals or Activity.
        _thread.UnsafeStart();
    }

    /// <summary>Ends the current wait, so the next round runs now. Cheap and safe from any thread.</summary>
    public void Wake()
    {
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // never disposed today; a wake after the end has nothing to do anyway
        }
    }

    /// <summary>Cancels the round's token and waits at most <paramref name="bound"/> for the thread; true when it ended.</summary>
    public bool Stop(TimeSpan bound)
    {
        _stop.Cancel();
        if (Volatile.Read(ref _started) == 0) return true;
        return Thread.CurrentThread != _thread && _thread.Join(bound);
    }

    private void Run()
    {
        var token = _stop.Token;
        try
        {
            ProbeRuntime.MarkAgentThread();
            var handles = new[] { token.WaitHandle, _wake };
            var woken = false;
            while (!token.IsCancellationRequested)
            {
                TimeSpan next;
                try
                {
                    next = _round(new WorkerRound(woken, token));
                }
                catch (Exception) when (token.IsCancellationRequested)
                {
                    break; // stopping: the call in flight was cancelled
                }
                catch (Exception e)
                {
                    SelfLog.Error($"{Name}: {e.GetType().Name}: {e.Message}; going on in {_afterFailure.TotalSeconds:0.#} s");
                    next = _afterFailure;
                }
                if (next == Finished) break;
                woken = false;
                if (next == TimeSpan.Zero) continue;
                var which = WaitHandle.WaitAny(handles, next < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : next);
                if (which == 0) break;
                woken = which == 1;
            }
        }
        catch (Exception e)
        {
            // Only the wait itself can get here; the thread ends, the process does not.
            try
            {
                SelfLog.Error($"{Name} stopped: {e.Message}");
            }
            catch
            {
                // nothing may escape an agent thread
            }
        }
        finally
        {
            _ended = true;
        }
    }
}
