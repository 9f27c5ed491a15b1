using System.Runtime.CompilerServices;
using BenchHost;

namespace BenchApp;

/// <summary>
/// Failures with 1000 distinct fingerprints (a fingerprint is the exception type plus the app frames with their IL
/// offsets): k % 10 picks the type, (k / 10) % 10 the stack depth, (k / 100) % 10 the throw site.
/// </summary>
internal static class Flooding
{
    private static readonly Action<int> Request = Handle;

    public static void Escape(int k)
    {
        try
        {
            Pipeline.Invoke(Request, k);
        }
        catch (FloodException)
        {
            // the host's business
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Handle(int k) => Descend((k / 10) % 10, k);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Descend(int depth, int k)
    {
        if (depth > 0) Descend(depth - 1, k);
        else Site(k);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Site(int k)
    {
        int type = k % 10;
        switch ((k / 100) % 10)
        {
            case 0: Throw(type, 0); break;
            case 1: Throw(type, 1); break;
            case 2: Throw(type, 2); break;
            case 3: Throw(type, 3); break;
            case 4: Throw(type, 4); break;
            case 5: Throw(type, 5); break;
            case 6: Throw(type, 6); break;
            case 7: Throw(type, 7); break;
            case 8: Throw(type, 8); break;
            default: Throw(type, 9); break;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int type, int site) => throw (type switch
    {
        0 => new FloodException0(site),
        1 => new FloodException1(site),
        2 => new FloodException2(site),
        3 => new FloodException3(site),
        4 => new FloodException4(site),
        5 => new FloodException5(site),
        6 => new FloodException6(site),
        7 => new FloodException7(site),
        8 => new FloodException8(site),
        _ => new FloodException9(site),
    });
}

internal class FloodException(int site) : Exception("flood at site " + site);
internal sealed class FloodException0(int site) : FloodException(site);
internal sealed class FloodException1(int site) : FloodException(site);
internal sealed class FloodException2(int site) : FloodException(site);
internal sealed class FloodException3(int site) : FloodException(site);
internal sealed class FloodException4(int site) : FloodException(site);
internal sealed class FloodException5(int site) : FloodException(site);
internal sealed class FloodException6(int site) : FloodException(site);
internal sealed class FloodException7(int site) : FloodException(site);
internal sealed class FloodException8(int site) : FloodException(site);
internal sealed class FloodException9(int site) : FloodException(site);
