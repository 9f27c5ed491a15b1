using System.Runtime.InteropServices;

namespace Deep.Profiler.Com;

/// <summary>
/// Keeps this library loaded for the life of the process. When the runtime refuses the profiler (another CLSID,
/// a failed Initialize) it unloads the library with dlclose; a NativeAOT library whose runtime already started
/// (its GC and finalizer threads) cannot be unloaded, and the process then crashes. A second dlopen of our own
/// image, with RTLD_NODELETE, makes that dlclose harmless.
/// </summary>
internal static unsafe partial class ImagePin
{
    private const int RTLD_NOW = 0x2;
    private const int RTLD_NODELETE = 0x1000;

    private static int s_pinned;

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public byte* FileName;
        public void* FileBase;
        public byte* SymbolName;
        public void* SymbolAddress;
    }

    [LibraryImport("libc.so.6", EntryPoint = "dladdr")]
    private static partial int DlAddr(void* address, DlInfo* info);

    [LibraryImport("libc.so.6", EntryPoint = "dlopen")]
    private static partial nint DlOpen(byte* fileName, int flags);

    /// <summary>Pins the image that contains <paramref name="addressInImage"/>; once, never throws.</summary>
    public static void Pin(void* addressInImage)
    {
        if (Interlocked.Exchange(ref s_pinned, 1) != 0)
            return;
        try
        {
            DlInfo info;
            if (DlAddr(addressInImage, &info) != 0 && info.FileName != null)
            {
                nint handle = DlOpen(info.FileName, RTLD_NOW | RTLD_NODELETE);
                Log.Write($"pinned {Marshal.PtrToStringUTF8((nint)info.FileName)}: {(handle != 0 ? "ok" : "dlopen failed")}");
            }
        }
        catch (Exception e)
        {
            Log.Write("pinning the image failed: " + e.Message);
        }
    }
}
