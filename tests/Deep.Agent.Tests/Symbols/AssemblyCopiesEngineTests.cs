using System.Reflection;
using System.Runtime.Loader;
using Deep.Agent.Instrumentation;
using Deep.Agent.Native;
using Deep.Agent.Probes;
using Deep.Agent.Symbols;

namespace Deep.Agent.Tests.Symbols;

// One file loaded again into another AssemblyLoadContext after its line was probed: the engine asks the profiler
// again for that method (the profiler probes every loaded copy of a module path), now and once more a moment later.
public sealed class AssemblyCopiesEngineTests : IDisposable
{
    private const string Sample = "Symbols/IteratorSample.cs";
    private static int s_nextProbe = 60_000;

    private readonly SymbolIndex _symbols = new();
    private readonly CountingRewriter _rewriter = new();
    private readonly ProfilerEngine _engine;

    public AssemblyCopiesEngineTests()
    {
        _symbols.Add(typeof(AssemblyCopiesEngineTests).Assembly);
        _engine = new ProfilerEngine(_symbols, _rewriter, new ProbeRuntimeBinder(), new ProbeStatusRegistry());
    }

    public void Dispose()
    {
        _engine.Dispose();
        _symbols.Dispose();
    }

    [Fact]
    public async Task A_copy_of_a_probed_file_loaded_into_another_context_gets_the_probe_too()
    {
        var location = new ProbeLocation(Interlocked.Increment(ref s_nextProbe), Sample, SourceMarkers.Line(Sample, "iterator-sample-line"), null, null, ProbeStage.LineStart);
        _engine.Install(location);
        await _engine.WhenIdleAsync();
        Assert.Equal(1, _rewriter.Count);

        var copy = new AssemblyLoadContext("engine-copies").LoadFromAssemblyPath(typeof(AssemblyCopiesEngineTests).Assembly.Location);
        _symbols.Add(copy);

        // Asked again at once, and once more about a second later (a deadline, not a timed assertion).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_rewriter.Count < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            await _engine.WhenIdleAsync();
        }
        Assert.Equal(3, _rewriter.Count);
        Assert.All(_rewriter.Methods, m => Assert.Equal(typeof(AssemblyCopiesEngineTests).Assembly, m.Module.Assembly));
        ProbeRuntime.Unbind(location.ProbeId);
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
