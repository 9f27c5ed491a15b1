using System.Runtime.CompilerServices;

namespace Deep.Profiler.Com;

/// <summary>Calls on a COM interface pointer by vtable slot (slots count from 0 and include IUnknown).</summary>
internal static unsafe class ComPtr
{
    /// <summary>The function pointer in <paramref name="slot"/> of <paramref name="self"/>'s vtable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void* Slot(nint self, int slot) => (*(void***)self)[slot];

    /// <summary>IUnknown::QueryInterface.</summary>
    public static int QueryInterface(nint self, in Guid iid, out nint result)
    {
        nint r = 0;
        fixed (Guid* g = &iid)
        {
            int hr = ((delegate* unmanaged<nint, Guid*, nint*, int>)Slot(self, 0))(self, g, &r);
            result = r;
            return hr;
        }
    }

    /// <summary>IUnknown::AddRef.</summary>
    public static uint AddRef(nint self) => ((delegate* unmanaged<nint, uint>)Slot(self, 1))(self);

    /// <summary>IUnknown::Release.</summary>
    public static uint Release(nint self) => ((delegate* unmanaged<nint, uint>)Slot(self, 2))(self);
}
