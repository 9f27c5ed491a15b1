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

/// <summary>What the rewritten code calls: the probe runtime in production.</summary>
internal interface IProbeBinder
{
    /// <summary>Tells the runtime which slot holds which variable (before the profiler is asked).</summary>
    void Bind(int probeId, ProbeFrameLayout layout);

    /// <summary>Forgets the layout of a removed probe.</summary>
    void Unbind(int probeId);
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

/// <summary>The agent's probe runtime.</summary>
internal sealed class ProbeRuntimeBinder : IProbeBinder
{
    /// <inheritdoc />
    public void Bind(int probeId, ProbeFrameLayout layout) => ProbeRuntime.Bind(probeId, layout);

    /// <inheritdoc />
    public void Unbind(int probeId) => ProbeRuntime.Unbind(probeId);
}
