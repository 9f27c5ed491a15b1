using System.Runtime.InteropServices;
using System.Text;

namespace Deep.Profiler.Attach;

/// <summary>
/// Brings the agent into a process the profiler was attached to. There is no startup hook after start, so this
/// uses the host the application already runs on: <c>libhostfxr.so</c> is loaded in every process started by
/// <c>dotnet app.dll</c> or an apphost. <c>hostfxr_initialize_for_runtime_config</c> then returns a context for the
/// runtime that is already running (a "secondary" context), whose <c>load_assembly</c> delegate loads
/// Deep.Agent.dll into the DEFAULT AssemblyLoadContext (the rewritten IL names the agent from the application's
/// modules, so it must be that copy), and <c>get_function_pointer</c> finds the agent's
/// <c>[UnmanagedCallersOnly]</c> attach entry point. All of it runs on a thread of our own, after the runtime
/// finished the attach, never inside a profiler callback.
/// </summary>
internal static unsafe class AgentLoader
{
    // hostfxr_delegate_type (hostfxr.h)
    private const int HdtGetFunctionPointer = 6;
    private const int HdtLoadAssembly = 7;

    private const string EntryType = "Deep.Agent.Native.AttachEntry, Deep.Agent";
    private const string EntryMethod = "Start";
    private const int MessageCapacity = 2048;

    /// <summary>Starts loading the agent on a new thread; returns at once. Never throws.</summary>
    public static void StartInBackground(AttachRequest request)
    {
        try
        {
            var thread = new Thread(() => Run(request)) { IsBackground = true, Name = "deep-agent-loader" };
            thread.Start();
        }
        catch (Exception e)
        {
            request.Report("error starting the agent loader thread failed: " + e.Message);
        }
    }

    private static void Run(AttachRequest request)
    {
        try
        {
            string? error = Load(request);
            if (error is not null)
                request.Report("error " + error);
        }
        catch (Exception e)
        {
            request.Report("error loading the agent threw " + e.GetType().Name + ": " + e.Message);
        }
    }

    // Returns null when the agent started (the entry point reported "ok" itself), else why not.
    private static string? Load(AttachRequest request)
    {
        if (request.AgentPath is null || request.RuntimeConfigPath is null)
            return "the attach request names no agent or runtimeconfig";
        if (!File.Exists(request.AgentPath))
            return $"the agent '{request.AgentPath}' does not exist (as this process sees the file system)";

        string? hostfxrPath = FindLoaded("libhostfxr.so");
        if (hostfxrPath is null)
            return "libhostfxr.so is not loaded in this process (it was not started by `dotnet` or an apphost), so the agent cannot be loaded into it; the profiler is attached but tracepoints need the agent";
        request.Report("progress host found: " + hostfxrPath);

        nint library = NativeLibrary.Load(hostfxrPath);
        var initialize = (delegate* unmanaged<byte*, void*, nint*, int>)NativeLibrary.GetExport(library, "hostfxr_initialize_for_runtime_config");
        var getDelegate = (delegate* unmanaged<nint, int, void**, int>)NativeLibrary.GetExport(library, "hostfxr_get_runtime_delegate");
        var close = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "hostfxr_close");

        nint context = 0;
        int rc;
        fixed (byte* config = Utf8(request.RuntimeConfigPath))
            rc = initialize(config, null, &context);
        // 0 Success, 1 Success_HostAlreadyInitialized, 2 Success_DifferentRuntimeProperties: all give a context.
        if (rc < 0 || context == 0)
            return $"hostfxr_initialize_for_runtime_config failed (0x{rc:X8}): the running runtime does not accept the agent's runtimeconfig";
        try
        {
            void* loadAssembly = null;
            rc = getDelegate(context, HdtLoadAssembly, &loadAssembly);
            if (rc < 0 || loadAssembly == null)
                return $"hostfxr_get_runtime_delegate(load_assembly) failed (0x{rc:X8}); it needs .NET 8 or later";
            fixed (byte* agent = Utf8(request.AgentPath))
                rc = ((delegate* unmanaged<byte*, void*, void*, int>)loadAssembly)(agent, null, null);
            // An application that references the agent has its own Deep.Agent in the default context already, and a
            // second copy by path is refused: then that copy's entry point is used (found by name below).
            string? loadFailure = rc < 0 ? $"loading {request.AgentPath} into the default AssemblyLoadContext failed (0x{rc:X8})" : null;
            request.Report(loadFailure is null ? "progress agent assembly loaded" : $"progress {loadFailure}; trying the application's own Deep.Agent");

            void* getFunctionPointer = null;
            rc = getDelegate(context, HdtGetFunctionPointer, &getFunctionPointer);
            if (rc < 0 || getFunctionPointer == null)
                return $"hostfxr_get_runtime_delegate(get_function_pointer) failed (0x{rc:X8})";
            void* entry = null;
            fixed (byte* type = Utf8(EntryType))
            fixed (byte* method = Utf8(EntryMethod))
            {
                // delegate_type_name (byte*)-1 = UNMANAGEDCALLERSONLY_METHOD
                rc = ((delegate* unmanaged<byte*, byte*, byte*, void*, void*, void**, int>)getFunctionPointer)(type, method, (byte*)-1, null, null, &entry);
            }
            if (rc < 0 || entry == null)
                return loadFailure ?? $"the agent's entry point {EntryType}.{EntryMethod} was not found (0x{rc:X8}): agent and profiler from different builds?";

            var message = new byte[MessageCapacity];
            int result;
            fixed (byte* settings = request.AgentSettings)
            fixed (byte* output = message)
                result = ((delegate* unmanaged<byte*, int, byte*, int, int>)entry)(settings, request.AgentSettings.Length, output, message.Length);
            string text = Encoding.UTF8.GetString(message, 0, Math.Max(0, Array.IndexOf(message, (byte)0) is var end and >= 0 ? end : message.Length));
            if (result != 0)
                return text.Length > 0 ? text : $"the agent did not start ({result})";
            request.Report("ok " + (text.Length > 0 ? text : "agent started"));
            return null;
        }
        finally
        {
            close(context);
        }
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + "\0");

    // The path of a loaded library whose file name is exactly `fileName`, from /proc/self/maps.
    private static string? FindLoaded(string fileName)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0)
                continue;
            var path = line[slash..];
            if (path.EndsWith("/" + fileName, StringComparison.Ordinal))
                return path;
        }
        return null;
    }
}
