using Deep.Profiler.Com;

namespace Deep.Profiler.Engine;

/// <summary>A module the runtime loaded.</summary>
internal sealed record LoadedModule(nint Id, string Path, string AssemblyName);

/// <summary>The modules seen through ModuleLoadFinished (or enumerated after attach), by id and path.</summary>
internal sealed class ModuleRegistry
{
    private readonly object _lock = new();
    private readonly Dictionary<nint, LoadedModule> _byId = [];

    public void Add(LoadedModule module)
    {
        lock (_lock)
            _byId[module.Id] = module;
    }

    public void Remove(nint id)
    {
        lock (_lock)
            _byId.Remove(id);
    }

    public LoadedModule? Get(nint id)
    {
        lock (_lock)
            return _byId.GetValueOrDefault(id);
    }

    public LoadedModule? FindByPath(string path)
    {
        lock (_lock)
        {
            foreach (var m in _byId.Values)
            {
                if (string.Equals(m.Path, path, StringComparison.Ordinal))
                    return m;
            }
            return null;
        }
    }

    /// <summary>
    /// Every loaded module with that path: one file loaded into several AssemblyLoadContexts is one module per
    /// context. In load order (module ids grow, but are only addresses: the order is not guaranteed).
    /// </summary>
    public List<LoadedModule> FindAllByPath(string path)
    {
        lock (_lock)
        {
            var found = new List<LoadedModule>();
            foreach (var m in _byId.Values)
            {
                if (string.Equals(m.Path, path, StringComparison.Ordinal))
                    found.Add(m);
            }
            return found;
        }
    }

    public List<LoadedModule> Snapshot()
    {
        lock (_lock)
            return [.. _byId.Values];
    }

    /// <summary>Reads a module's path and assembly name from the runtime (callback or worker thread only).</summary>
    public static LoadedModule? Describe(CorProfilerInfo info, nint moduleId)
    {
        if (HResults.Failed(info.GetModuleInfo(moduleId, out string path, out nint assemblyId)))
            return null;
        string assembly = "";
        if (assemblyId != 0)
            info.GetAssemblyName(assemblyId, out assembly);
        return new LoadedModule(moduleId, path, assembly);
    }
}
