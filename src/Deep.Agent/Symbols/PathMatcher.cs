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
