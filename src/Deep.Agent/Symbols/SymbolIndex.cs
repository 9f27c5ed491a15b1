using System.Reflection;
using System.Reflection.Metadata;

namespace Deep.Agent.Symbols;

/// <summary>
/// The symbols of every assembly loaded in the process, and the resolution of a tracepoint's path and line to a
/// method and IL offset (spec/tracepoints.md §3). Thread-safe; assemblies that load later are added as they load.
/// </summary>
internal sealed class SymbolIndex : IDisposable
{
    private readonly object _gate = new();
    private readonly List<AssemblySymbols> _assemblies = [];
    private readonly HashSet<Assembly> _known = [];
    private int _collectibleSkipped;
    private bool _tracking;

    /// <summary>Raised (on the loading thread) after an assembly was added. Handlers must be quick and not throw.</summary>
    public event Action<AssemblySymbols>? AssemblyAdded;

    /// <summary>Adds every assembly loaded now and, from now on, every assembly that loads later.</summary>
    public void TrackAppDomain()
    {
        lock (_gate)
        {
            if (_tracking)
            {
                return;
            }
            _tracking = true;
        }
        AppDomain.CurrentDomain.AssemblyLoad += OnAssemblyLoad;
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            Add(assembly);
        }
    }

    private void OnAssemblyLoad(object? sender, AssemblyLoadEventArgs args)
    {
        // Runs on the application thread that loads the assembly: only record it (the PDB is read lazily).
        try
        {
            Add(args.LoadedAssembly);
        }
        catch (Exception e)
        {
            Instrumentation.EngineLog.Warn($"symbols: could not track assembly {args.LoadedAssembly.FullName}: {e.Message}");
        }
    }

    /// <summary>
    /// Adds one assembly (idempotent). Dynamic assemblies have no PDB and are ignored. So are assemblies of collectible
    /// load contexts: the runtime's ReJIT does not rewrite their methods (it accepts the request and never asks for the
    /// new body), and holding them here would keep their context from ever unloading.
    /// </summary>
    public void Add(Assembly assembly)
    {
        if (assembly.IsDynamic)
        {
            return;
        }
        if (assembly.IsCollectible)
        {
            Interlocked.Increment(ref _collectibleSkipped);
            return;
        }
        AssemblySymbols symbols;
        lock (_gate)
        {
            if (!_known.Add(assembly))
            {
                return;
            }
            symbols = new AssemblySymbols(assembly);
            _assemblies.Add(symbols);
        }
        AssemblyAdded?.Invoke(symbols);
    }

    /// <summary>The assemblies known so far.</summary>
    public IReadOnlyList<AssemblySymbols> Assemblies
    {
        get
        {
            lock (_gate)
            {
                return _assemblies.ToArray();
            }
        }
    }

    /// <summary>Resolves <paramref name="path"/> and <paramref name="line"/> against every known assembly.</summary>
    public LineResolution Resolve(string path, int line) => Resolve(path, line, Assemblies, Volatile.Read(ref _collectibleSkipped));

    /// <summary>Resolves <paramref name="path"/> and <paramref name="line"/> against <paramref name="assemblies"/>.</summary>
    public static LineResolution Resolve(string path, int line, IReadOnlyList<AssemblySymbols> assemblies) => Resolve(path, line, assemblies, 0);

    private static LineResolution Resolve(string path, int line, IReadOnlyList<AssemblySymbols> assemblies, int collectibleSkipped)
    {
        var query = PathMatcher.Segments(path ?? "");
        if (query.Length == 0)
        {
            return LineResolution.Failed(ResolutionFailure.FileNotFound, "the tracepoint has no path");
        }
        if (line <= 0)
        {
            return LineResolution.Failed(ResolutionFailure.NoCodeAtLine, $"line {line} is not a line number (lines start at 1)");
        }

        var matches = PathMatcher.BestMatches(query, assemblies);
        if (matches.Count == 0)
        {
            var withoutSymbols = assemblies.Count(a => a.NoSymbolsReason is not null);
            return LineResolution.Failed(ResolutionFailure.FileNotFound,
                $"no source file matching '{path}' was found in the symbols (PDBs) of the {assemblies.Count} loaded assemblies " +
                $"({withoutSymbols} of them have no readable symbols)" +
                (collectibleSkipped > 0 ? $"; {collectibleSkipped} assemblies loaded into collectible AssemblyLoadContexts were not searched, because the runtime cannot rewrite (ReJIT) their code" : "") +
                "; the tracepoint stays pending until an assembly with that file loads");
        }
        if (matches.Count > 1 && SameFileLoadedAgain(matches.Select(m => (m.Symbols.Assembly, m.Name)).ToList()) is { } copy)
        {
            // One file loaded into several AssemblyLoadContexts: one resolution; the profiler probes every copy.
            matches = [matches[copy]];
        }
        if (matches.Count > 1)
        {
            var listed = matches.Select(m => $"{m.Name} (in {m.Symbols.Assembly.GetName().Name})").Distinct().Take(10);
            return LineResolution.Failed(ResolutionFailure.AmbiguousPath,
                $"'{path}' matches {matches.Count} source files equally well: {string.Join(", ", listed)}; give more of the path to choose one");
        }
        return LineResolver.Resolve(matches[0].Symbols, matches[0].Document, matches[0].Name, line);
    }

    /// <summary>
    /// When every match is the same document of copies of one assembly file (loaded into several load contexts),
    /// the index of the copy to resolve against (the first). Null when the matches are different files or assemblies.
    /// </summary>
    internal static int? SameFileLoadedAgain(IReadOnlyList<(Assembly Assembly, string Document)> matches)
    {
        string? path = null;
        Guid mvid = Guid.Empty;
        for (int i = 0; i < matches.Count; i++)
        {
            var (assembly, document) = matches[i];
            string location = assembly.IsDynamic ? "" : assembly.Location;
            if (location.Length == 0 || !string.Equals(document, matches[0].Document, StringComparison.Ordinal))
            {
                return null;
            }
            if (i == 0)
            {
                path = location;
                mvid = assembly.ManifestModule.ModuleVersionId;
            }
            else if (!string.Equals(location, path, StringComparison.Ordinal) || assembly.ManifestModule.ModuleVersionId != mvid)
            {
                return null;
            }
        }
        return 0;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        AppDomain.CurrentDomain.AssemblyLoad -= OnAssemblyLoad;
        lock (_gate)
        {
            foreach (var symbols in _assemblies)
            {
                symbols.Dispose();
            }
            _assemblies.Clear();
            _known.Clear();
        }
    }
}
