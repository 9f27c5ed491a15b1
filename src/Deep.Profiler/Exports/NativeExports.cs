using System.Runtime.InteropServices;
using Deep.Abi;
using Deep.Profiler.Com;
using Deep.Profiler.Engine;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Exports;

/// <summary>
/// The C ABI the agent calls (docs/design/probe-abi.md, "Native exports"). Plain data only: the agent's runtime
/// and ours do not share objects. Each export returns 0 or an HRESULT and never throws.
/// </summary>
internal static unsafe class NativeExports
{
    // How long a status query waits for the worker to look at the method's compiled copies.
    private const int StatusCheckTimeoutMs = 2000;

    [UnmanagedCallersOnly(EntryPoint = "deep_profiler_get_info")]
    private static int GetInfo(int* abiVersion, int* initialized, int* hresult)
    {
        try
        {
            if (abiVersion != null)
                *abiVersion = ProbeAbi.Version;
            if (initialized != null)
                *initialized = ProbeEngine.Initialized ? 1 : 0;
            if (hresult != null)
                *hresult = ProbeEngine.InitResult;
            return HResults.S_OK;
        }
        catch
        {
            return HResults.E_FAIL;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "deep_profiler_configure")]
    private static int Configure(char* agentAssembly, int length, int major, int minor, int build, int revision)
    {
        try
        {
            if (agentAssembly == null || length <= 0)
                return HResults.E_INVALIDARG;
            ProbeEngine.AgentAssemblyName = new string(agentAssembly, 0, length);
            ProbeEngine.AgentVersion = new Version(Math.Max(0, major), Math.Max(0, minor), Math.Max(0, build), Math.Max(0, revision));
            Log.Write($"configured: probe runtime in {ProbeEngine.AgentAssemblyName} {ProbeEngine.AgentVersion}");
            return HResults.S_OK;
        }
        catch
        {
            return HResults.E_FAIL;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "deep_set_method_probes")]
    private static int SetMethodProbes(char* modulePath, int pathLength, uint methodToken, int typeFlags,
        NativeInsertion* items, int itemCount, SlotSource* slots, int slotCount, int timeoutMs,
        ProbeRefusal* refusal, char* error, int errorCapacity, int* errorLength)
    {
        try
        {
            if (errorLength != null)
                *errorLength = 0;
            if (refusal != null)
                *refusal = new ProbeRefusal(RefusalCode.Other); // until the worker answers
            if (!ProbeEngine.Initialized || ProbeEngine.Worker is not { } worker)
                return Error(HResults.E_FAIL, "the profiler is not initialised", error, errorCapacity, errorLength);
            if (modulePath == null || pathLength <= 0 || itemCount < 0 || slotCount < 0 || (itemCount > 0 && items == null) || (slotCount > 0 && slots == null))
                return Error(HResults.E_INVALIDARG, "bad arguments", error, errorCapacity, errorLength);

            // Copy everything out of the caller's memory before handing over: the caller may time out and free it.
            string path = new(modulePath, 0, pathLength);
            var probes = new List<ProbeRequest>(itemCount);
            for (int i = 0; i < itemCount; i++)
            {
                var item = items[i];
                if (item.SlotStart < 0 || item.SlotCount < 0 || item.SlotStart + item.SlotCount > slotCount)
                    return Error(HResults.E_INVALIDARG, $"probe {item.ProbeId}: slot range out of bounds", error, errorCapacity, errorLength);
                var list = new SlotSource[item.SlotCount];
                for (int s = 0; s < item.SlotCount; s++)
                    list[s] = slots[item.SlotStart + s];
                if (item.Kind is < InsertionKind.Probe or > InsertionKind.ExitOnException)
                    return Error(HResults.E_INVALIDARG, $"probe {item.ProbeId}: unknown insertion kind {(int)item.Kind}", error, errorCapacity, errorLength);
                probes.Add(new ProbeRequest(item.ProbeId, item.ILOffset, list, item.Kind) { EndILOffset = item.EndILOffset });
            }

            string? message = null;
            ProbeRefusal refused = default;
            bool completed = worker.TryInvoke(() => ProbeEngine.SetMethodProbes(path, methodToken, typeFlags, probes, out refused, out message), timeoutMs, out int hr, out string? failure);
            if (!completed)
                return Error(failure?.Contains("did not answer", StringComparison.Ordinal) == true ? HResults.E_TIMEOUT : HResults.E_FAIL, failure ?? "failed", error, errorCapacity, errorLength);
            if (refusal != null)
                *refusal = hr == 0 ? default : refused;
            return hr == 0 ? 0 : Error(hr, message ?? "", error, errorCapacity, errorLength);
        }
        catch (Exception e)
        {
            return Error(HResults.E_FAIL, "the profiler failed: " + e.Message, error, errorCapacity, errorLength);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "deep_get_method_status")]
    private static int GetMethodStatus(char* modulePath, int pathLength, uint methodToken, int* state, int* hresult,
        char* message, int messageCapacity, int* messageLength)
    {
        try
        {
            if (messageLength != null)
                *messageLength = 0;
            if (modulePath == null || pathLength <= 0)
                return HResults.E_INVALIDARG;
            var entry = ProbeEngine.FindMethod(new string(modulePath, 0, pathLength), methodToken);
            int current = entry?.State ?? (int)MethodState.Unknown;
            int hr = entry?.HResult ?? 0;
            string? text = entry?.Message;
            // "Active" only when every compiled copy of the method has the new code (see ProbeEngine.CopiesBehind);
            // otherwise "requested" with S_FALSE, which the agent tells apart from a request the runtime has not taken.
            if (current == (int)MethodState.Active && ProbeEngine.Worker is { } worker
                && worker.TryInvoke(() => ProbeEngine.CopiesBehind(entry!), StatusCheckTimeoutMs, out var copies, out _)
                && copies.Behind > 0)
            {
                current = (int)MethodState.Requested;
                hr = HResults.S_FALSE;
                text = $"{copies.Behind} of {copies.Compiled} compiled copies of the method do not run the new code yet";
                Log.Write($"0x{methodToken:X8}: {text}");
            }
            if (state != null)
                *state = current;
            if (hresult != null)
                *hresult = hr;
            if (text is not null)
                Error(0, text, message, messageCapacity, messageLength);
            return HResults.S_OK;
        }
        catch
        {
            return HResults.E_FAIL;
        }
    }

    /// <summary>Writes <c>path\tassembly\n</c> per module; <c>*written</c> is the length needed (S_FALSE if cut).</summary>
    [UnmanagedCallersOnly(EntryPoint = "deep_enum_modules")]
    private static int EnumModules(char* buffer, int capacity, int* written)
    {
        try
        {
            var text = new System.Text.StringBuilder();
            foreach (var m in ProbeEngine.Modules.Snapshot())
                text.Append(m.Path).Append('\t').Append(m.AssemblyName).Append('\n');
            if (written != null)
                *written = text.Length;
            if (buffer == null || capacity < text.Length)
                return HResults.S_FALSE;
            for (int i = 0; i < text.Length; i++)
                buffer[i] = text[i];
            return HResults.S_OK;
        }
        catch
        {
            return HResults.E_FAIL;
        }
    }

    private static int Error(int hr, string text, char* buffer, int capacity, int* length)
    {
        if (buffer != null && capacity > 0)
        {
            int n = Math.Min(text.Length, capacity);
            for (int i = 0; i < n; i++)
                buffer[i] = text[i];
            if (length != null)
                *length = n;
        }
        return hr;
    }
}
