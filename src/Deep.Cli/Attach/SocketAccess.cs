using System.Runtime.InteropServices;

namespace Deep.Cli.Attach;

/// <summary>
/// Whether this user may connect to the diagnostics socket (connecting to a Unix socket needs write permission on
/// its file; the runtime makes it owner-only). Asked with access(2) before anything is built or sent, so that
/// "permission denied" comes first and without touching the process.
/// </summary>
internal static partial class SocketAccess
{
    private const int W_OK = 2;
    private const int EACCES = 13;
    private const int EPERM = 1;

    [LibraryImport("libc.so.6", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);

    /// <summary>False only when the system says this user may not write to the socket.</summary>
    public static bool MayConnect(string socketPath)
    {
        try
        {
            if (Access(socketPath, W_OK) == 0)
            {
                return true;
            }
            int errno = Marshal.GetLastPInvokeError();
            return errno is not (EACCES or EPERM);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return true; // cannot ask: the connection attempt will say
        }
    }
}
