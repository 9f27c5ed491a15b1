namespace Deep.Agent.Tests.Symbols;

/// <summary>Finds the line of a <c>// @marker</c> in a source file of this test project, independently of the PDB.</summary>
internal static class SourceMarkers
{
    public static string ProjectDirectory { get; } = FindProjectDirectory();

    public static int Line(string relativePath, string marker)
    {
        var lines = File.ReadAllLines(Path.Combine(ProjectDirectory, relativePath));
        var found = Enumerable.Range(0, lines.Length)
            .Where(i => lines[i].Contains("@" + marker, StringComparison.Ordinal)
                        && !lines[i].Contains("@" + marker + "-", StringComparison.Ordinal))
            .ToList();
        Assert.True(found.Count == 1, $"marker @{marker} should appear once in {relativePath}, found {found.Count}");
        return found[0] + 1;
    }

    private static string FindProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Deep.Agent.Tests");
            if (File.Exists(Path.Combine(dir.FullName, "deep-dotnet.slnx")) && Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("the repository root (deep-dotnet.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
