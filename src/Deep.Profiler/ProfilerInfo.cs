namespace Deep.Profiler;

/// <summary>SKELETON: the profiler is built by the engine issue (#5).</summary>
internal static class ProfilerInfo
{
}
