using System.Runtime.CompilerServices;

namespace BenchHost;

/// <summary>A request pipeline that is not the app's: it sees a failure and raises it again, as middleware does.</summary>
public static class Pipeline
{
    /// <summary>Runs a request; its exception leaves through this frame (a rethrow: the escape).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Invoke(Action<int> request, int argument)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            request(argument);
        }
        catch (Exception)
        {
            throw;
        }
    }
}
