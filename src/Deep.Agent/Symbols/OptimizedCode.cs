using System.Diagnostics;
using System.Reflection;

namespace Deep.Agent.Symbols;

/// <summary>Whether a method was compiled with optimizations (a Release build), which can remove locals.</summary>
internal static class OptimizedCode
{
    /// <summary>
    /// True when the C# compiler optimized the method's assembly: it did unless the assembly's
    /// <see cref="DebuggableAttribute"/> disables JIT optimization (what a Debug build writes). The Release compiler
    /// may keep a local only on the evaluation stack, so the PDB has no slot for it at the probed line.
    /// </summary>
    public static bool IsOptimized(MethodBase method)
    {
        try
        {
            // A framework attribute: creating it runs no application code.
            var debuggable = method.Module.Assembly.GetCustomAttribute<DebuggableAttribute>();
            return debuggable is null || !debuggable.IsJITOptimizerDisabled;
        }
        catch
        {
            return false;
        }
    }
}
