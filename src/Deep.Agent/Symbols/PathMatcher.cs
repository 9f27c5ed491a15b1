using System.Reflection.Metadata;

namespace Deep.Agent.Symbols;

/// <summary>
/// Matches a tracepoint's path against source documents recorded in PDBs by trailing path segments.
/// A tracepoint may name a file bare (<c>OrderService.cs</c>), relatively (<c>src/Shop/OrderService.cs</c>) or by an
/// absolute path from another machine (<c>/build/src/Shop/OrderService.cs</c>, <c>C:\src\...</c>, <c>/_/src/...</c>):
/// only the tail can be trusted, so the score is how many trailing segments agree.
/// </summary>
internal static class PathMatcher
{
    private static readonly char[] Separators = ['/', '\\'];

    /// <summary>Splits a path into its segments, dropping empty and <c>.</c> segments.</summary>
    public static string[] Segments(string path) =>
        path.Split(Separators, StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();

    /// <summary>
    /// The source documents of <paramref name="assemblies"/> that match <paramref name="query"/> best (all those with
    /// the highest score; empty when no file name matches), for line and method tracepoints alike.
    /// </summary>
    public static List<(AssemblySymbols Symbols, DocumentHandle Document, string Name)> BestMatches(string[] query, IReadOnlyList<AssemblySymbols> assemblies)
    {
        int best = 0;
        var matches = new List<(AssemblySymbols Symbols, DocumentHandle Document, string Name)>();
        foreach (var symbols in assemblies)
        {
            foreach (var (handle, name) in symbols.Documents)
            {
                int score = Score(query, Segments(name));
                if (score == 0 || score < best)
                {
                    continue;
                }
                if (score > best)
                {
                    best = score;
                    matches.Clear();
                }
                matches.Add((symbols, handle, name));
            }
        }
        return matches;
    }

    /// <summary>
    /// How many trailing segments of <paramref name="document"/> equal those of <paramref name="query"/>,
    /// case-insensitively; 0 when the file names differ (no match at all).
    /// </summary>
    public static int Score(string[] query, string[] document)
    {
        int score = 0;
        for (int q = query.Length - 1, d = document.Length - 1; q >= 0 && d >= 0; q--, d--)
        {
            if (!string.Equals(query[q], document[d], StringComparison.OrdinalIgnoreCase))
            {
                break;
            }
            score++;
        }
        return score;
    }
}
