using System.Globalization;
using System.Runtime.CompilerServices;

namespace Deep.TestApp;

// Issue #12 hardening: a loop over a big string that hostile expressions (deep nesting, PadLeft/Replace on huge
// strings) are put on. The result depends only on the argument, so a test can tell the output is unchanged.
internal static class TextLoop
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string Run(int iterations)
    {
        string text = "order-" + iterations.ToString(CultureInfo.InvariantCulture);
        string hugeText = new('x', 300_000);
        long checksum = 0;
        for (int i = 0; i < iterations; i++)
        {
            checksum += text.Length + hugeText.Length + i; // @text-loop
        }
        return checksum.ToString(CultureInfo.InvariantCulture) + " " + text + " " + hugeText.Length.ToString(CultureInfo.InvariantCulture);
    }
}
