using Deep.Profiler.Com;

namespace Deep.Profiler.Engine;

/// <summary>
/// The one thread that makes profiling-API calls outside callbacks. It is created by the NativeAOT runtime, so
/// CoreCLR does not know it; after <c>InitializeCurrentThread</c> the runtime accepts ReJIT and metadata calls from
/// it (from an application thread they fail with CORPROF_E_UNSUPPORTED_CALL_SEQUENCE). Work runs in order.
/// </summary>
internal sealed class Worker
{
    private readonly Queue<Action> _queue = new();
    private readonly object _lock = new();
    private readonly CorProfilerInfo _info;
    private Thread? _thread;

    public Worker(CorProfilerInfo info) => _info = info;

    /// <summary>The HRESULT of <c>InitializeCurrentThread</c> on the worker (0 until it ran).</summary>
    public int ThreadInitResult { get; private set; }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "deep-profiler-worker" };
        _thread.Start();
    }

    /// <summary>Queues work; it runs later on the worker thread.</summary>
    public void Post(Action work)
    {
        lock (_lock)
        {
            _queue.Enqueue(work);
            Monitor.Pulse(_lock);
        }
    }

    /// <summary>Runs <paramref name="work"/> on the worker and waits up to <paramref name="timeoutMs"/> for it.</summary>
    public bool TryInvoke<T>(Func<T> work, int timeoutMs, out T? result, out string? error)
    {
        var done = new ManualResetEventSlim(false);
        T? value = default;
        string? failure = null;
        Post(() =>
        {
            try
            {
                value = work();
            }
            catch (Exception e)
            {
                failure = e.GetType().Name + ": " + e.Message;
            }
            finally
            {
                done.Set();
            }
        });
        if (!done.Wait(Math.Max(1, timeoutMs)))
        {
            result = default;
            error = $"the profiler's worker did not answer within {timeoutMs} ms";
            return false;
        }
        result = value;
        error = failure;
        return failure is null;
    }

    private void Run()
    {
        try
        {
            ThreadInitResult = _info.InitializeCurrentThread();
            Log.Write($"worker thread started; InitializeCurrentThread hr=0x{ThreadInitResult:X8}");
        }
        catch (Exception e)
        {
            Log.Write("worker InitializeCurrentThread threw: " + e);
        }
        while (true)
        {
            Action work;
            lock (_lock)
            {
                while (_queue.Count == 0)
                    Monitor.Wait(_lock);
                work = _queue.Dequeue();
            }
            try
            {
                work();
            }
            catch (Exception e)
            {
                Log.Write("worker item threw: " + e);
            }
        }
    }
}
