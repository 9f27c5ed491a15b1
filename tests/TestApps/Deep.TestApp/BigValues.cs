using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Values far larger than the capture limits (issue #12): a million-item list, a nine-million-character string (its
// snapshot would be over the server's 8 MB request limit if captured whole), a dictionary of long keys.
internal static class BigValues
{
    public const int ItemCount = 1_000_000;
    public const int TextLength = 9_000_000;
    public const int KeyCount = 200;
    public const int KeyLength = 50_000;

    private static List<int>? s_items;
    private static string? s_text;
    private static Dictionary<string, int>? s_index;

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Run(int iterations)
    {
        var items = s_items ??= Enumerable.Range(0, ItemCount).ToList();
        var index = s_index ??= Enumerable.Range(0, KeyCount).ToDictionary(i => i.ToString("D5", CultureInfo.InvariantCulture) + new string('k', KeyLength - 5), i => i);
        var text = s_text ??= new string('t', TextLength);
        long checksum = 0;
        for (int i = 0; i < iterations; i++)
        {
            checksum += items[i] + text.Length + index.Count; // @big-values
            checksum += i; // @big-ordinary
        }
        return checksum.ToString(CultureInfo.InvariantCulture);
    }
}
