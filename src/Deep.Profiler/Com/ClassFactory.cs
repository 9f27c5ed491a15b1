using System.Runtime.InteropServices;
using Deep.Profiler.Callbacks;

namespace Deep.Profiler.Com;

/// <summary>The IClassFactory the runtime gets from <c>DllGetClassObject</c>; it hands out the one callback object.</summary>
internal static unsafe class ClassFactory
{
    private static nint s_instance;

    public static nint Instance
    {
        get
        {
            if (s_instance == 0)
            {
                var vtable = (void**)NativeMemory.AllocZeroed((nuint)(5 * sizeof(void*)));
                vtable[0] = (delegate* unmanaged<nint, Guid*, nint*, int>)&QueryInterface;
                vtable[1] = (delegate* unmanaged<nint, uint>)&StaticUnknown.AddRef;
                vtable[2] = (delegate* unmanaged<nint, uint>)&StaticUnknown.Release;
                vtable[3] = (delegate* unmanaged<nint, nint, Guid*, nint*, int>)&CreateInstance;
                vtable[4] = (delegate* unmanaged<nint, int, int>)&LockServer;
                var obj = (void**)NativeMemory.AllocZeroed((nuint)(2 * sizeof(void*)));
                obj[0] = vtable;
                s_instance = (nint)obj;
            }
            return s_instance;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "DllGetClassObject")]
    private static int DllGetClassObject(Guid* clsid, Guid* iid, nint* result)
    {
        try
        {
            // Before anything can fail: the runtime unloads a profiler it refuses, which a NativeAOT image survives only pinned.
            ImagePin.Pin((delegate* unmanaged<Guid*, Guid*, nint*, int>)&DllGetClassObject);
            if (result == null || clsid == null || iid == null)
                return HResults.E_POINTER;
            *result = 0;
            if (*clsid != Guids.ProfilerClsid)
            {
                Log.Write($"DllGetClassObject for unknown CLSID {*clsid}");
                return HResults.CLASS_E_CLASSNOTAVAILABLE;
            }
            if (!IsFactoryInterface(*iid))
                return HResults.E_NOINTERFACE;
            *result = Instance;
            return HResults.S_OK;
        }
        catch
        {
            return HResults.E_FAIL;
        }
    }

    [UnmanagedCallersOnly]
    private static int QueryInterface(nint self, Guid* iid, nint* result) => StaticUnknown.QueryInterface(self, iid, result, &IsFactoryInterface);

    private static bool IsFactoryInterface(in Guid iid) => iid == Guids.IClassFactory || iid == Guids.IUnknown;

    [UnmanagedCallersOnly]
    private static int CreateInstance(nint self, nint outer, Guid* iid, nint* result)
    {
        try
        {
            if (result == null || iid == null)
                return HResults.E_POINTER;
            *result = 0;
            if (outer != 0)
                return HResults.CLASS_E_NOAGGREGATION;
            if (!Guids.IsCallbackInterface(*iid))
                return HResults.E_NOINTERFACE;
            *result = ProfilerCallback.Instance;
            return HResults.S_OK;
        }
        catch
        {
            return HResults.E_FAIL;
        }
    }

    [UnmanagedCallersOnly]
    private static int LockServer(nint self, int doLock) => HResults.S_OK;
}
