namespace Deep.Profiler.Engine;

/// <summary>Which module files belong to the .NET framework rather than to the application (see InliningGuard).</summary>
internal static class FrameworkFiles
{
    /// <summary>
    /// From CoreLib's path: <c>…/shared/</c> for a shared framework (…/shared/Microsoft.NETCore.App/10.0.0/), which
    /// holds ASP.NET Core's framework too; else CoreLib's own directory (a self-contained app). Null without a
    /// directory.
    /// </summary>
    public static string? RootOf(string coreLibPath)
    {
        string? version = Path.GetDirectoryName(coreLibPath);
        if (string.IsNullOrEmpty(version))
            return null;
        string? shared = Path.GetDirectoryName(Path.GetDirectoryName(version));
        return WithSeparator(!string.IsNullOrEmpty(shared) && Path.GetFileName(shared) == "shared" ? shared : version);
    }

    private static string WithSeparator(string directory) =>
        Path.EndsInDirectorySeparator(directory) ? directory : directory + Path.DirectorySeparatorChar;

    /// <summary>
    /// A module file outside the framework's root. In-memory modules (no path) are not the application's. A
    /// self-contained app has the framework next to its own files: there nothing counts as application.
    /// </summary>
    public static bool IsApplicationPath(string path, string frameworkRoot) =>
        path.Length > 0 && !path.StartsWith(frameworkRoot, StringComparison.Ordinal);
}
