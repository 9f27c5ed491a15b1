namespace Deep.Integration.Tests.Infrastructure;

/// <summary>Paths in the repository, found from the test assembly's location.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>The line of the unique <c>// @marker</c> in a test app source file (read from the file, not the PDB).</summary>
    public static int Line(string relativeFile, string marker)
    {
        var lines = File.ReadAllLines(Path(relativeFile));
        var found = Enumerable.Range(0, lines.Length).Where(i => lines[i].TrimEnd().EndsWith("// @" + marker, StringComparison.Ordinal)).ToList();
        if (found.Count != 1)
        {
            throw new InvalidOperationException($"marker @{marker} appears {found.Count} times in {relativeFile}");
        }
        return found[0] + 1;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "deep-dotnet.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("deep-dotnet.slnx not found above " + AppContext.BaseDirectory);
    }
}
