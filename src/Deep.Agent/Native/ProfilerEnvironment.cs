namespace Deep.Agent.Native;

/// <summary>
/// Another CLR profiler named by a process's <c>CORECLR_*</c> variables (another APM tool, say). A process loads one
/// profiler only, so where one is configured ours cannot be: <c>deep run</c> stops and says so, <c>deep attach</c>
/// refuses, and <c>DeepAgent.Start()</c> reports it as the reason tracepoints cannot be installed.
/// </summary>
/// <param name="Clsid">Its <c>CORECLR_PROFILER</c>.</param>
/// <param name="Path">Its <c>CORECLR_PROFILER_PATH</c> (or <c>_64</c>), when set.</param>
internal sealed record OtherProfiler(string Clsid, string? Path)
{
    /// <summary>The deep profiler's CLSID (what <c>CORECLR_PROFILER</c> is set to for it).</summary>
    internal const string DeepClsid = Deep.Abi.ProbeAbi.ProfilerClsid;

    /// <summary>The profiler <paramref name="environment"/> enables, when it is not ours; else null.</summary>
    public static OtherProfiler? In(Func<string, string?> environment)
    {
        if (environment("CORECLR_ENABLE_PROFILING")?.Trim() != "1")
            return null;
        string? clsid = environment("CORECLR_PROFILER")?.Trim();
        if (string.IsNullOrEmpty(clsid) || string.Equals(clsid, DeepClsid, StringComparison.OrdinalIgnoreCase))
            return null;
        string? path = environment("CORECLR_PROFILER_PATH_64");
        if (string.IsNullOrEmpty(path))
            path = environment("CORECLR_PROFILER_PATH");
        return new OtherProfiler(clsid, string.IsNullOrEmpty(path) ? null : path);
    }

    /// <summary>How the profiler is named in messages: its CLSID and library.</summary>
    public string Name => Path is null ? $"CORECLR_PROFILER={Clsid}" : $"CORECLR_PROFILER={Clsid} ({Path})";
}
