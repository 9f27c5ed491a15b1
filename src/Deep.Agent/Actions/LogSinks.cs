using System.Collections.Concurrent;
using System.Text;

namespace Deep.Agent.Actions;

/// <summary>One log line produced by a tracepoint's <c>log_msg</c>.</summary>
/// <param name="Message">The rendered template.</param>
/// <param name="TracepointId">The tracepoint that produced it.</param>
/// <param name="ContextId">The id of this hit (shared with the snapshot, span and metric of the same hit).</param>
/// <param name="Path">The tracepoint's path.</param>
/// <param name="Line">The tracepoint's line.</param>
public sealed record DeepLogEntry(string Message, string TracepointId, string ContextId, string Path, int Line)
{
    /// <summary>The line as the default sink writes it: <c>[deep] &lt;message&gt; tracepoint=&lt;id&gt; context=&lt;id&gt;</c>.</summary>
    public string Formatted => $"[deep] {Message} tracepoint={TracepointId} context={ContextId}";
}

/// <summary>Receives tracepoint log lines. Implementations must be fast and thread-safe; exceptions are contained.</summary>
public interface IDeepLogSink
{
    /// <summary>Writes one line.</summary>
    void Emit(DeepLogEntry entry);
}

/// <summary>The default sink: one line on standard output.</summary>
/// <remarks>
/// The sink on <see cref="Console.Out"/> does not write on the thread that hit the probe: it queues the line (bounded)
/// and one background thread writes what is queued, in batches. Writing each line to the console on the
/// request thread takes the console's lock and a write system call per line: under HTTP load with a log point on
/// every request that was 9% of the service's CPU (docs/benchmarks.md, "ASP.NET Core under load"). Lines keep their
/// order; a line that finds the queue full is dropped and counted; what is queued is written before the process
/// exits. A sink given a writer writes on the calling thread (embedding, tests).
/// </remarks>
public sealed class ConsoleLogSink : IDeepLogSink
{
    private readonly TextWriter? _writer;

    /// <summary>Writes to <see cref="Console.Out"/>, from a background thread.</summary>
    public ConsoleLogSink()
    {
    }

    /// <summary>Writes to <paramref name="writer"/> on the calling thread.</summary>
    public ConsoleLogSink(TextWriter writer) => _writer = writer;

    /// <inheritdoc />
    public void Emit(DeepLogEntry entry)
    {
        if (_writer is not null) _writer.WriteLine(entry.Formatted);
        else QueuedLineWriter.StandardOutput.Enqueue(entry.Formatted);
    }
}

/// <summary>
/// Lines written by one background thread, in the order they were queued, a batch at a time: the queueing thread pays
/// two interlocked operations, never a lock held by a writer or a system call while the writer is busy.
/// </summary>
internal sealed class QueuedLineWriter
{
    // Below the large object heap's 85,000 bytes, so a batch never allocates there (the chunks are written as they are).
    private const int MaxBatchChars = 32 * 1024;
    private readonly Func<TextWriter> _target;
    private readonly int _capacity;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _wake = new(0);
    private int _pending; // queued and not yet written
    private int _sleeping; // 1 while the writer waits for a line
    private int _started;
    private long _dropped;
    private long _droppedReported;
    private int _failureReported;

    /// <param name="target">Where lines go (asked on every batch, so a redirected console is followed).</param>
    /// <param name="capacity">The most lines waiting; more are dropped.</param>
    public QueuedLineWriter(Func<TextWriter> target, int capacity)
    {
        _target = target;
        _capacity = capacity;
    }

    /// <summary>The agent's standard output lines.</summary>
    public static QueuedLineWriter StandardOutput { get; } = new(() => Console.Out, 10_000);

    /// <summary>Lines dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a line; never blocks.</summary>
    public void Enqueue(string line)
    {
        if (Interlocked.Increment(ref _pending) > _capacity)
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref _dropped);
            return;
        }
        _lines.Enqueue(line);
        if (_started == 0) Start();
        // Only a sleeping writer needs waking; under load it never sleeps (see Run).
        if (Volatile.Read(ref _sleeping) != 0 && Interlocked.Exchange(ref _sleeping, 0) != 0) _wake.Release();
    }

    /// <summary>Waits until every queued line was written, at most <paramref name="timeout"/>; true when they were.</summary>
    public bool Drain(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _pending) > 0)
        {
            if (DateTime.UtcNow >= deadline) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    private void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        try
        {
            new Thread(Run) { IsBackground = true, Name = "deep log writer" }.Start();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Drain(TimeSpan.FromSeconds(1));
        }
        catch (Exception e)
        {
            Diagnostics.SelfLog.Warning($"the log writer did not start: {e.Message}; log lines are dropped");
        }
    }

    private void Run()
    {
        Probes.ProbeRuntime.MarkAgentThread();
        var batch = new StringBuilder();
        var idleRounds = 0;
        while (true)
        {
            int taken = 0;
            while (batch.Length < MaxBatchChars && _lines.TryDequeue(out var line))
            {
                batch.AppendLine(line);
                taken++;
            }
            if (taken > 0)
            {
                Write(batch);
                batch.Clear();
                Interlocked.Add(ref _pending, -taken);
                ReportDrops();
                idleRounds = 0;
                continue;
            }
            // Nothing queued: look again a millisecond later before sleeping, so that under a steady stream of lines
            // the writer collects them in batches and nobody has to wake it.
            if (++idleRounds <= 2)
            {
                Thread.Sleep(1);
                continue;
            }
            Interlocked.Exchange(ref _sleeping, 1);
            if (!_lines.IsEmpty)
            {
                Interlocked.Exchange(ref _sleeping, 0);
                continue;
            }
            _wake.Wait();
        }
    }

    private void Write(StringBuilder batch)
    {
        try
        {
            var target = _target();
            target.Write(batch); // chunk by chunk, no copy into one string
            target.Flush();
        }
        catch (Exception e)
        {
            if (Interlocked.Exchange(ref _failureReported, 1) == 0) Diagnostics.SelfLog.Warning($"writing log lines failed: {e.Message}");
        }
    }

    private void ReportDrops()
    {
        var dropped = Interlocked.Read(ref _dropped);
        if (dropped == _droppedReported) return;
        Diagnostics.SelfLog.Warning($"{dropped - _droppedReported} log line(s) dropped: more than {_capacity} were waiting to be written");
        _droppedReported = dropped;
    }
}
