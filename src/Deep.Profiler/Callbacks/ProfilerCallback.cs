using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Deep.Profiler.Attach;
using Deep.Profiler.Com;
using Deep.Profiler.Engine;

namespace Deep.Profiler.Callbacks;

/// <summary>
/// The ICorProfilerCallback11 object the runtime talks to: one static instance whose vtable has all 98 slots.
/// Slots we do not use answer S_OK (on x64 the caller cleans up the arguments, so one stub fits every arity).
/// Every slot catches everything: an exception escaping into the runtime would kill the process.
/// </summary>
internal static unsafe class ProfilerCallback
{
    public const int SlotCount = 98;

    private static nint s_instance;

    /// <summary>The COM object: a pointer to a block whose first word is the vtable.</summary>
    public static nint Instance
    {
        get
        {
            if (s_instance == 0)
                s_instance = Create();
            return s_instance;
        }
    }

    private static nint Create()
    {
        var vtable = (void**)NativeMemory.AllocZeroed((nuint)(SlotCount * sizeof(void*)));
        for (int i = 0; i < SlotCount; i++)
            vtable[i] = (delegate* unmanaged<nint, int>)&Ignored;
        vtable[0] = (delegate* unmanaged<nint, Guid*, nint*, int>)&QueryInterface;
        vtable[1] = (delegate* unmanaged<nint, uint>)&StaticUnknown.AddRef;
        vtable[2] = (delegate* unmanaged<nint, uint>)&StaticUnknown.Release;
        vtable[3] = (delegate* unmanaged<nint, nint, int>)&Initialize;
        vtable[4] = (delegate* unmanaged<nint, int>)&Shutdown;
        vtable[14] = (delegate* unmanaged<nint, nint, int, int>)&ModuleLoadFinished;
        vtable[15] = (delegate* unmanaged<nint, nint, int>)&ModuleUnloadStarted;
        vtable[28] = (delegate* unmanaged<nint, nint, nint, int*, int>)&JITInlining;
        vtable[80] = (delegate* unmanaged<nint, nint, nint, uint, int>)&InitializeForAttach;
        vtable[81] = (delegate* unmanaged<nint, int>)&ProfilerAttachComplete;
        vtable[84] = (delegate* unmanaged<nint, nint, uint, nint, int>)&GetReJITParameters;
        vtable[85] = (delegate* unmanaged<nint, nint, nint, int, int, int>)&ReJITCompilationFinished;
        vtable[86] = (delegate* unmanaged<nint, nint, uint, nint, int, int>)&ReJITError;
        vtable[97] = (delegate* unmanaged<nint, int*, int>)&LoadAsNotificationOnly;
        var obj = (void**)NativeMemory.AllocZeroed((nuint)(2 * sizeof(void*)));
        obj[0] = vtable;
        return (nint)obj;
    }

    [UnmanagedCallersOnly]
    private static int Ignored(nint self) => HResults.S_OK;

    [UnmanagedCallersOnly]
    private static int QueryInterface(nint self, Guid* iid, nint* result) => StaticUnknown.QueryInterface(self, iid, result, &Guids.IsCallbackInterface);

    [UnmanagedCallersOnly]
    private static int Initialize(nint self, nint infoUnknown)
    {
        try
        {
            Log.Write("Initialize");
            return ProbeEngine.Start(infoUnknown, attached: false);
        }
        catch (Exception e)
        {
            Log.Write("Initialize threw: " + e);
            ProbeEngine.InitResult = HResults.E_FAIL;
            return HResults.E_FAIL;
        }
    }

    [UnmanagedCallersOnly]
    private static int InitializeForAttach(nint self, nint infoUnknown, nint clientData, uint clientDataLength)
    {
        try
        {
            Log.Write($"InitializeForAttach ({clientDataLength} bytes of client data)");
            // The client data lives only for this call: parse it now, act on it once the attach completed.
            var request = AttachRequest.Parse(clientData, clientDataLength);
            int hr = ProbeEngine.Start(infoUnknown, attached: true);
            if (HResults.Failed(hr))
                request.Report($"error the profiler could not initialise after attach (0x{hr:X8})");
            else
                AttachRequest.Pending = request;
            return hr;
        }
        catch (Exception e)
        {
            Log.Write("InitializeForAttach threw: " + e);
            ProbeEngine.InitResult = HResults.E_FAIL;
            return HResults.E_FAIL;
        }
    }

    [UnmanagedCallersOnly]
    private static int ProfilerAttachComplete(nint self)
    {
        try
        {
            Log.Write("ProfilerAttachComplete");
            // Loading the agent runs managed code of the application's runtime: on our own thread, not in here.
            if (AttachRequest.Pending is { } request)
            {
                AttachRequest.Pending = null;
                if (request.AgentPath is null)
                    request.Report("ok profiler attached");
                else
                {
                    request.Report("progress profiler attached; loading the agent");
                    AgentLoader.StartInBackground(request);
                }
            }
        }
        catch
        {
        }
        return HResults.S_OK;
    }

    [UnmanagedCallersOnly]
    private static int Shutdown(nint self)
    {
        try
        {
            Log.Write("Shutdown");
        }
        catch
        {
        }
        return HResults.S_OK;
    }

    [UnmanagedCallersOnly]
    private static int ModuleLoadFinished(nint self, nint moduleId, int status)
    {
        try
        {
            if (HResults.Failed(status) || ProbeEngine.Info is not { } info)
                return HResults.S_OK;
            if (ModuleRegistry.Describe(info, moduleId) is { } module)
            {
                ProbeEngine.Modules.Add(module);
                if (Log.Enabled)
                    Log.Write($"module loaded 0x{moduleId:X}: {module.AssemblyName} {module.Path}{(module.Collectible ? " (collectible: never probed)" : "")}");
            }
        }
        catch (Exception e)
        {
            Log.Write("ModuleLoadFinished threw: " + e);
        }
        return HResults.S_OK;
    }

    [UnmanagedCallersOnly]
    private static int ModuleUnloadStarted(nint self, nint moduleId)
    {
        try
        {
            ProbeEngine.Modules.Remove(moduleId);
            InliningGuard.Forget(moduleId);
        }
        catch
        {
        }
        return HResults.S_OK;
    }

    // Called by the JIT, on an application thread, before every inlining: see InliningGuard.
    [UnmanagedCallersOnly]
    private static int JITInlining(nint self, nint callerId, nint calleeId, int* shouldInline)
    {
        try
        {
            if (shouldInline != null && ProbeEngine.Info is { } info && InliningGuard.Refuses(info, callerId, calleeId))
                *shouldInline = 0;
        }
        catch
        {
        }
        return HResults.S_OK;
    }

    [UnmanagedCallersOnly]
    private static int GetReJITParameters(nint self, nint moduleId, uint methodToken, nint functionControl)
    {
        try
        {
            return ProbeEngine.OnGetReJITParameters(moduleId, methodToken, functionControl);
        }
        catch (Exception e)
        {
            Log.Write("GetReJITParameters threw: " + e);
            return HResults.E_FAIL;
        }
    }

    [UnmanagedCallersOnly]
    private static int ReJITCompilationFinished(nint self, nint functionId, nint rejitId, int status, int safeToBlock)
    {
        try
        {
            if (HResults.Failed(status))
                Log.Write($"ReJITCompilationFinished function 0x{functionId:X}: 0x{status:X8}");
        }
        catch
        {
        }
        return HResults.S_OK;
    }

    [UnmanagedCallersOnly]
    private static int ReJITError(nint self, nint moduleId, uint methodToken, nint functionId, int status)
    {
        try
        {
            ProbeEngine.OnReJITError(moduleId, methodToken, status);
        }
        catch (Exception e)
        {
            Log.Write("ReJITError threw: " + e);
        }
        return HResults.S_OK;
    }

    [UnmanagedCallersOnly]
    private static int LoadAsNotificationOnly(nint self, int* notificationOnly)
    {
        try
        {
            if (notificationOnly != null)
                *notificationOnly = 0; // FALSE: we need ReJIT, which a notification-only profiler may not use
        }
        catch
        {
        }
        return HResults.S_OK;
    }
}
