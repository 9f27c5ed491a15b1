using Deep.Profiler.Com;

namespace Deep.Profiler.Engine;

/// <summary>A module the runtime loaded.</summary>
/// <param name="Collectible">Loaded into a collectible AssemblyLoadContext: the runtime does not ReJIT its methods
/// (RequestReJIT answers S_OK and never asks for the body), so it is never probed.</param>
internal sealed record LoadedModule(nint Id, string Path, string AssemblyName, bool Collectible = false);

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
                if (!m.Collectible && string.Equals(m.Path, path, StringComparison.Ordinal))
                    return m;
            }
            return null;
        }
    }

    /// <summary>
    /// Every loaded module with that path that can be probed: one file loaded into several AssemblyLoadContexts is
    /// one module per context. Collectible ones are left out (see <see cref="LoadedModule.Collectible"/>).
    /// </summary>
    public List<LoadedModule> FindAllByPath(string path)
    {
        lock (_lock)
        {
            var found = new List<LoadedModule>();
            foreach (var m in _byId.Values)
            {
                if (!m.Collectible && string.Equals(m.Path, path, StringComparison.Ordinal))
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
        // COR_PRF_MODULE_COLLECTIBLE = 0x8. If the flags cannot be read the module is treated as probe-able.
        bool collectible = !HResults.Failed(info.GetModuleFlags(moduleId, out uint flags)) && (flags & 0x8) != 0;
        return new LoadedModule(moduleId, path, assembly, collectible);
    }
}
