using System.Runtime.InteropServices;

namespace Deep.Profiler.Com;

/// <summary>
/// IUnknown of the profiler's COM objects (the class factory, the callback object): each is one static object for the
/// life of the process, so reference counts free nothing, and QueryInterface hands out the object itself.
/// </summary>
internal static unsafe class StaticUnknown
{
    [UnmanagedCallersOnly]
    public static uint AddRef(nint self) => 1;

    [UnmanagedCallersOnly]
    public static uint Release(nint self) => 1;

    /// <summary>An object's QueryInterface: itself for the interfaces <paramref name="implements"/> accepts.</summary>
    public static int QueryInterface(nint self, Guid* iid, nint* result, delegate*<in Guid, bool> implements)
    {
        try
        {
            if (result == null || iid == null)
                return HResults.E_POINTER;
            if (implements(*iid))
            {
                *result = self;
                return HResults.S_OK;
            }
            *result = 0;
            return HResults.E_NOINTERFACE;
        }
        catch
        {
            return HResults.E_FAIL;
        }
    }
}
