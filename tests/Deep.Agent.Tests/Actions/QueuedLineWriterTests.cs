using Deep.Agent.Actions;

namespace Deep.Agent.Tests.Actions;

public class QueuedLineWriterTests
{
    [Fact]
    public void Lines_queued_from_many_threads_are_each_written_once_in_the_order_of_their_thread()
    {
        var target = new StringWriter();
        var writer = new QueuedLineWriter(() => target, 100_000);
        const int Threads = 4, PerThread = 5_000;
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                writer.Enqueue($"t{t} {i}");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.True(writer.Drain(TimeSpan.FromSeconds(30)));
        var lines = target.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Threads * PerThread, lines.Length);
        for (int t = 0; t < Threads; t++)
        {
            var mine = lines.Where(l => l.StartsWith($"t{t} ", StringComparison.Ordinal)).Select(l => int.Parse(l[(l.IndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(Enumerable.Range(0, PerThread), mine);
        }
        Assert.Equal(0, writer.Dropped);
    }

    [Fact]
    public void A_full_queue_drops_and_counts_lines_instead_of_blocking_the_caller()
    {
        using var target = new BlockingWriter();
        var writer = new QueuedLineWriter(() => target, capacity: 10);
        writer.Enqueue("first");
        Assert.True(target.Entered.Wait(TimeSpan.FromSeconds(30))); // the writer holds "first" and is stuck writing it

        for (int i = 0; i < 20; i++)
        {
            writer.Enqueue("line " + i); // returns at once even though nothing can be written
        }

        Assert.Equal(11, writer.Dropped); // "first" and 9 more fit in 10
        target.Release.Set();
        Assert.True(writer.Drain(TimeSpan.FromSeconds(30)));
        Assert.Equal(["first", .. Enumerable.Range(0, 9).Select(i => "line " + i)], target.Lines);
    }

    [Fact]
    public void A_target_that_throws_loses_that_batch_only()
    {
        var target = new StringWriter();
        var calls = 0;
        var writer = new QueuedLineWriter(() => Interlocked.Increment(ref calls) == 1 ? throw new IOException("disk full") : target, 100);
        writer.Enqueue("lost");
        Assert.True(writer.Drain(TimeSpan.FromSeconds(30)));

        writer.Enqueue("kept");
        Assert.True(writer.Drain(TimeSpan.FromSeconds(30)));
        Assert.Equal("kept" + Environment.NewLine, target.ToString());
    }

    /// <summary>A writer whose first write blocks until released.</summary>
    private sealed class BlockingWriter : StringWriter
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public IReadOnlyList<string> Lines => ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        public override void Write(System.Text.StringBuilder? value)
        {
            Entered.Set();
            Release.Wait();
            base.Write(value);
        }

        protected override void Dispose(bool disposing)
        {
            Entered.Dispose();
            Release.Dispose();
            base.Dispose(disposing);
        }
    }
}
