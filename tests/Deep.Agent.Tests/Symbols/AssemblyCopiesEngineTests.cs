using System.Reflection;
using System.Runtime.Loader;
using Deep.Agent.Instrumentation;
using Deep.Agent.Native;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;

namespace Deep.Agent.Tests.Symbols;

// A tracepoint in an assembly that loads later (into an AssemblyLoadContext of its own), then loads again into a
// second context: pending, installed when the first copy loads, and asked for again when the second copy loads (the
// profiler probes every loaded copy of a module path), now and once more a moment later. The assembly is the host
// app (see HostApp), never a copy of this test assembly.
public sealed class AssemblyCopiesEngineTests : IDisposable
{
    private static int s_nextProbe = 60_000;

    private readonly SymbolIndex _symbols = new();
    private readonly CountingRewriter _rewriter = new();
    private readonly ProbeStatusRegistry _status = new();
    private readonly ProfilerEngine _engine;

    public AssemblyCopiesEngineTests()
    {
        _engine = new ProfilerEngine(_symbols, _rewriter, ProbeRuntime.Table, _status);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _symbols.Dispose();
    }

    [Fact]
    public async Task A_pending_tracepoint_installs_when_its_assembly_loads_and_a_second_copy_gets_the_probe_too()
    {
        var location = new ProbeLocation(Interlocked.Increment(ref s_nextProbe), HostApp.Source, HostApp.Line, null, null, TracepointStage.LineStart);
        _engine.Install(location);
        await _engine.WhenIdleAsync();
        Assert.Equal(ProbeInstallState.Pending, _status.Get(location.ProbeId)!.State);
        Assert.Equal(0, _rewriter.Count);

        var first = new AssemblyLoadContext("engine-copy-1").LoadFromAssemblyPath(HostApp.Path);
        _symbols.Add(first);
        await WaitForCallsAsync(1);
        Assert.Equal(ProbeInstallState.Installed, _status.Get(location.ProbeId)!.State);

        _symbols.Add(new AssemblyLoadContext("engine-copy-2").LoadFromAssemblyPath(HostApp.Path));
        await WaitForCallsAsync(3); // at once, and once more a moment later

        Assert.Equal(3, _rewriter.Count);
        Assert.All(_rewriter.Methods, m => Assert.Same(first, m.Module.Assembly)); // one method: the profiler finds the copies by path
        ProbeRuntime.Table.Unbind(location.ProbeId);
    }

    private async Task WaitForCallsAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_rewriter.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            await _engine.WhenIdleAsync();
        }
    }

    private sealed class CountingRewriter : IMethodRewriter
    {
        private readonly List<MethodBase> _methods = [];

        public int Count
        {
            get
            {
                lock (_methods)
                {
                    return _methods.Count;
                }
            }
        }

        public IReadOnlyList<MethodBase> Methods
        {
            get
            {
                lock (_methods)
                {
                    return [.. _methods];
                }
            }
        }

        public MethodState StateOf(MethodBase method) => MethodState.Unknown;

        public Task<MethodProbeResult> SetMethodProbesAsync(MethodBase method, IReadOnlyList<ProbeInsertion> probes)
        {
            lock (_methods)
            {
                _methods.Add(method);
            }
            return Task.FromResult(new MethodProbeResult(true, null));
        }
    }
}
