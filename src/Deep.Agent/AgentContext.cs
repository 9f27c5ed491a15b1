using Deep.Agent.Actions;
using Deep.Agent.Capture;
using Deep.Agent.Settings;
using Deep.Protocol;

namespace Deep.Agent;

/// <summary>What the actions of a running agent share: settings, resource, where snapshots and log lines go.</summary>
internal sealed class AgentContext
{
    public AgentContext(AgentSettings settings, Resource resource, ISnapshotSink snapshots, IReadOnlyList<IDeepLogSink> logSinks)
    {
        Settings = settings;
        Resource = resource;
        Snapshots = snapshots;
        LogSinks = logSinks;
        Limits = new CaptureLimits(settings.MaxVarDepth, settings.MaxVariables, settings.MaxCollectionSize, settings.MaxStringLength, settings.MaxTpProcessTimeMs);
        Redactor = settings.RedactionPatterns.Count > 0 ? new Redactor(settings.RedactionPatterns) : Redactor.Default;
        ResourceKeyValues = resource.Attributes;
    }

    public AgentSettings Settings { get; }
    public Resource Resource { get; }
    public IReadOnlyList<KeyValue> ResourceKeyValues { get; }
    public ISnapshotSink Snapshots { get; }
    public IReadOnlyList<IDeepLogSink> LogSinks { get; }
    public CaptureLimits Limits { get; }
    public Redactor Redactor { get; }

    public FrameOptions FrameOptions(bool includeStack) =>
        new(includeStack, Settings.AppRoot, Settings.InAppInclude, Settings.InAppExclude);
}

/// <summary>Where finished snapshots go (the push queue in a running agent).</summary>
internal interface ISnapshotSink
{
    /// <summary>Hands over a snapshot without waiting; false when it was dropped.</summary>
    bool TryEnqueue(Snapshot snapshot);
}
