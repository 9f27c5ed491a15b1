using System.Reflection;
using Deep.Agent.Native;
using Deep.Agent.Probes;

namespace Deep.Agent.Instrumentation;

/// <summary>What rewrites methods: the profiler in production (seam for tests of the engine's bookkeeping).</summary>
internal interface IMethodRewriter
{
    /// <summary>Replaces all probes of <paramref name="method"/>; an empty list restores the original code.</summary>
    Task<MethodProbeResult> SetMethodProbesAsync(MethodBase method, IReadOnlyList<ProbeInsertion> probes);

    /// <summary>Whether the runtime took the rewritten body yet (Unknown when the rewriter cannot tell).</summary>
    MethodState StateOf(MethodBase method) => MethodState.Unknown;
}

/// <summary>What the rewritten code calls: the running agent's <see cref="ProbeTable"/> in production.</summary>
internal interface IProbeBinder
{
    /// <summary>Tells the runtime which slot holds which variable (before the profiler is asked).</summary>
    void Bind(int probeId, ProbeFrameLayout layout);

    /// <summary>Forgets the layout of a removed probe.</summary>
    void Unbind(int probeId);

    /// <summary>Binds one more placement (an overload) of a method location's probe under its own id.</summary>
    void BindAlias(int aliasId, int ownerId, ProbeFrameLayout layout) => Bind(aliasId, layout);

    /// <summary>Forgets a placement bound with <see cref="BindAlias"/>.</summary>
    void UnbindAlias(int aliasId, int ownerId) => Unbind(aliasId);

    /// <summary>A new probe id for an alias.</summary>
    int NewAliasId();
}

/// <summary>The profiler, through its bridge.</summary>
internal sealed class ProfilerRewriter : IMethodRewriter
{
    /// <inheritdoc />
    public Task<MethodProbeResult> SetMethodProbesAsync(MethodBase method, IReadOnlyList<ProbeInsertion> probes) =>
        ProfilerBridge.SetMethodProbesAsync(method, probes);

    /// <inheritdoc />
    public MethodState StateOf(MethodBase method) => ProfilerBridge.GetMethodStatus(method).State;
}
