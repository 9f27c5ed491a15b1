using System.Diagnostics.Tracing;
using Deep.Agent.Diagnostics;

namespace Deep.Agent.Tests.Diagnostics;

public class SelfDiagnosticsTests
{
    private sealed class Listener : EventListener
    {
        public List<EventWrittenEventArgs> Events { get; } = new();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Deep-Agent") EnableEvents(eventSource, EventLevel.Verbose);
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            lock (Events) Events.Add(eventData);
        }
    }

    [Fact]
    public void Rejections_and_drops_are_published_on_the_Deep_Agent_event_source()
    {
        using var listener = new Listener();
        SelfLog.Rejected("tp-1", "unknown stage 'x'");
        SelfLog.SnapshotDropped("the send queue is full (3)");

        lock (listener.Events)
        {
            var rejected = Assert.Single(listener.Events, e => e.EventName == "TracepointRejected");
            Assert.Equal(["tp-1", "unknown stage 'x'"], rejected.Payload!.Cast<string>());
            Assert.Equal(EventLevel.Warning, rejected.Level);
            Assert.Single(listener.Events, e => e.EventName == "SnapshotDropped");
        }
    }

    [Fact]
    public void The_event_source_manifest_is_valid()
    {
        // An EventSource with a mistake in its event methods fails silently at run time; this catches it.
        var manifest = EventSource.GenerateManifest(typeof(AgentEventSource), typeof(AgentEventSource).Assembly.Location, EventManifestOptions.Strict);
        Assert.Contains("Deep-Agent", manifest, StringComparison.Ordinal);
    }
}
