using System.Reflection;
using System.Runtime.InteropServices;
using Deep.Abi;
using Deep.Agent.Instrumentation;

namespace Deep.Agent.Native;

/// <summary>
/// The agent's side of the profiler's C ABI (<c>docs/design/probe-abi.md</c>, "Native exports"). The profiler is
/// a separate NativeAOT image with its own runtime: only plain data crosses. <see cref="NativeLibrary.Load(string)"/>
/// of <c>CORECLR_PROFILER_PATH</c> returns the image the runtime already loaded, so this reaches the live profiler.
/// </summary>
internal static unsafe class ProfilerBridge
{
    /// <summary>The CLSID the profiler answers to (what <c>CORECLR_PROFILER</c> must be set to).</summary>
    internal const string ProfilerClsid = ProbeAbi.ProfilerClsid;

    // How long one call may wait for the profiler's worker thread (it serialises all profiling-API calls).
    private const int CallTimeoutMs = 30_000;
    private const int ErrorCapacity = 1024;

    private static readonly Lazy<Native?> s_native = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static string? s_notLoadedReason;

    /// <summary>
    /// The profiler library attached to this process after it started (set before the agent first asks
    /// <see cref="IsLoaded"/>); null when the profiler came with the process's CORECLR_* variables, or not at all.
    /// </summary>
    internal static string? AttachedProfilerPath { get; set; }

    /// <summary>Why <see cref="SelfAttach"/> could not attach the profiler, when it tried and failed.</summary>
    internal static string? SelfAttachFailure { get; set; }

    // DEEP_E_UNSUPPORTED_RUNTIME: the profiler's Initialize refused this runtime's version.
    private const int UnsupportedRuntime = unchecked((int)0xA0DE0001);

    /// <summary>
    /// When the process was started with another CLR profiler (only one loads per process), the reason line and
    /// method tracepoints cannot be installed, naming it; null otherwise.
    /// </summary>
    internal static string? OtherProfilerReason()
    {
        var other = OtherProfiler.In(Environment.GetEnvironmentVariable);
        return other is null ? null
            : $"another CLR profiler is loaded in this process ({other.Name}) and a process has only one: line and method "
              + "tracepoints cannot be installed; start the process without that profiler's CORECLR_* variables to use them";
    }

    /// <summary>Our profiler is loaded in this process and was initialised by the runtime.</summary>
    public static bool IsLoaded => s_native.Value is not null;

    /// <summary>Why <see cref="IsLoaded"/> is false, in words a developer can act on; null when loaded.</summary>
    public static string? NotLoadedReason => IsLoaded ? null : s_notLoadedReason;

    /// <summary>
    /// Replaces all probes of one method (an empty list restores the original code). Completes when the profiler
    /// accepted the new body (the ReJIT request succeeded) or refused it. Never throws.
    /// </summary>
    public static Task<MethodProbeResult> SetMethodProbesAsync(MethodBase method, IReadOnlyList<ProbeInsertion> probes)
    {
        if (method is null || probes is null)
            return Task.FromResult(new MethodProbeResult(false, "no method or probe list given"));
        var native = s_native.Value;
        if (native is null)
            return Task.FromResult(new MethodProbeResult(false, s_notLoadedReason ?? "the profiler is not loaded"));
        // The export blocks until the profiler's worker thread has done the work: keep it off the caller's thread.
        return Task.Factory.StartNew(
            () => SetMethodProbes(native, method, probes),
            CancellationToken.None,
            TaskCreationOptions.DenyChildAttach,
            TaskScheduler.Default);
    }

    /// <summary>What the profiler knows about a method's rewritten code (for diagnostics and tests).</summary>
    public static MethodStatus GetMethodStatus(MethodBase method)
    {
        var native = s_native.Value;
        if (native is null || method is null)
            return new MethodStatus(MethodState.Unknown, 0, s_notLoadedReason);
        try
        {
            string path = method.Module.FullyQualifiedName;
            char* error = stackalloc char[ErrorCapacity];
            int state = 0, hr = 0, errorLength = 0;
            fixed (char* p = path)
            {
                native.GetMethodStatus(p, path.Length, (uint)method.MetadataToken, &state, &hr, error, ErrorCapacity, &errorLength);
            }
            string? message = errorLength > 0 ? new string(error, 0, Math.Min(errorLength, ErrorCapacity)) : null;
            var known = state == (int)MethodState.Requested && hr == 1 ? MethodState.Partial : (MethodState)state;
            return new MethodStatus(known, hr, message);
        }
        catch (Exception e)
        {
            return new MethodStatus(MethodState.Unknown, 0, e.Message);
        }
    }

    /// <summary>The modules the profiler saw load (path and assembly name), for diagnostics.</summary>
    public static IReadOnlyList<(string Path, string AssemblyName)> GetModules()
    {
        var native = s_native.Value;
        if (native is null)
            return [];
        try
        {
            int needed = 0;
            native.EnumModules(null, 0, &needed);
            if (needed <= 0)
                return [];
            var buffer = new char[needed + 256];
            fixed (char* b = buffer)
            {
                int written = 0;
                native.EnumModules(b, buffer.Length, &written);
                var text = new string(b, 0, Math.Min(written, buffer.Length));
                var result = new List<(string, string)>();
                foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    int tab = line.IndexOf('\t');
                    if (tab > 0)
                        result.Add((line[..tab], line[(tab + 1)..]));
                }
                return result;
            }
        }
        catch
        {
            return [];
        }
    }

    private static MethodProbeResult SetMethodProbes(Native native, MethodBase method, IReadOnlyList<ProbeInsertion> probes)
    {
        try
        {
            string path = method.Module.FullyQualifiedName;
            if (string.IsNullOrEmpty(path) || path.StartsWith('<'))
                return new MethodProbeResult(false, $"{method.DeclaringType}.{method.Name} is in a module without a file (dynamic or in-memory): it cannot be instrumented");

            if (FindUncapturableSlot(method, probes) is { } refusal)
                return new MethodProbeResult(false, refusal);

            int slotCount = 0;
            foreach (var p in probes)
                slotCount += p.Slots?.Count ?? 0;
            var items = new NativeInsertion[probes.Count];
            var slots = new SlotSource[slotCount];
            int next = 0;
            for (int i = 0; i < probes.Count; i++)
            {
                var p = probes[i];
                int count = p.Slots?.Count ?? 0;
                items[i] = new NativeInsertion { ProbeId = p.ProbeId, ILOffset = p.ILOffset, SlotStart = next, SlotCount = count, Kind = p.Kind, EndILOffset = p.EndILOffset };
                for (int s = 0; s < count; s++)
                    slots[next++] = p.Slots![s];
            }

            char* error = stackalloc char[ErrorCapacity];
            int errorLength = 0;
            ProbeRefusal refused = default;
            int rc;
            // The profiler reads `this` of a struct through a byref, typed by the declaring type (open if generic).
            var declaring = method.DeclaringType;
            int typeFlags = declaring is null ? 0
                : (declaring.IsValueType ? 1 : 0) | (declaring.IsGenericType ? declaring.GetGenericArguments().Length & 0xFF : 0) << 8;
            fixed (char* pathChars = path)
            fixed (NativeInsertion* itemPtr = items)
            fixed (SlotSource* slotPtr = slots)
            {
                rc = native.SetMethodProbes(pathChars, path.Length, (uint)method.MetadataToken, typeFlags,
                    itemPtr, items.Length, slotPtr, slots.Length, CallTimeoutMs, &refused, error, ErrorCapacity, &errorLength);
            }
            if (rc == 0)
                return new MethodProbeResult(true, null);
            string? detail = errorLength > 0 ? new string(error, 0, Math.Min(errorLength, ErrorCapacity)) : null;
            if (refused.Code == RefusalCode.None)
                refused = new ProbeRefusal(RefusalCode.Other);
            return MethodProbeResult.Refused(refused, detail ?? $"the profiler refused the method (0x{rc:X8})");
        }
        catch (Exception e)
        {
            return new MethodProbeResult(false, "calling the profiler failed: " + e.Message);
        }
    }

    // A byref-like value (Span<T>, a ref struct) cannot be a generic argument or be boxed: IL that tries fails
    // only when the method runs, in the application. Refuse such slots here, where the types are known.
    private static string? FindUncapturableSlot(MethodBase method, IReadOnlyList<ProbeInsertion> probes)
    {
        IList<LocalVariableInfo>? locals = null;
        var parameters = method.GetParameters();
        bool hasThis = !method.IsStatic;
        foreach (var probe in probes)
        {
            var slots = probe.Slots ?? [];
            for (int i = 0; i < slots.Count; i++)
            {
                var slot = slots[i];
                Type? type = slot.Kind switch
                {
                    SlotKind.This => method.DeclaringType,
                    SlotKind.Argument when hasThis && slot.Index == 0 => method.DeclaringType,
                    SlotKind.Argument => slot.Index - (hasThis ? 1 : 0) is int p && p >= 0 && p < parameters.Length ? parameters[p].ParameterType : null,
                    SlotKind.Local => (locals ??= method.GetMethodBody()?.LocalVariables ?? []) is var l && slot.Index >= 0 && slot.Index < l.Count ? l[slot.Index].LocalType : null,
                    SlotKind.Return => (method as MethodInfo)?.ReturnType,
                    _ => null,
                };
                if (type is null)
                    continue; // out of range: the profiler answers with the exact reason
                if (type.IsByRef || type.IsPointer)
                    type = type.GetElementType()!;
                bool byRefLike = type.IsByRefLike
                    || (type.IsGenericParameter && (type.GenericParameterAttributes & RuntimeSupport.AllowByRefLike) != 0);
                if (byRefLike || type == typeof(TypedReference))
                    return $"probe {probe.ProbeId}, slot {i} ({slot.Kind} {slot.Index}) is of the byref-like type {type.Name}, which cannot be captured";
            }
        }
        return null;
    }

    private static Native? Load()
    {
        try
        {
            // Attached after start (deep attach, or DeepAgent.Start attaching its own process): no CORECLR_* variables.
            string? attached = AttachedProfilerPath;
            if (attached is not null)
                return Connect(attached);
            if (SelfAttachFailure is { } failure)
            {
                s_notLoadedReason = failure;
                return null;
            }
            if (Environment.GetEnvironmentVariable("CORECLR_ENABLE_PROFILING") != "1")
            {
                s_notLoadedReason = "CORECLR_ENABLE_PROFILING is not 1: the process was not started with the profiler (use `deep run`)";
                return null;
            }
            if (OtherProfilerReason() is { } other)
            {
                s_notLoadedReason = other;
                return null;
            }
            string? path = Environment.GetEnvironmentVariable("CORECLR_PROFILER_PATH")
                ?? Environment.GetEnvironmentVariable("CORECLR_PROFILER_PATH_64");
            if (string.IsNullOrEmpty(path))
            {
                s_notLoadedReason = "CORECLR_PROFILER_PATH is not set";
                return null;
            }
            return Connect(path);
        }
        catch (Exception e)
        {
            s_notLoadedReason = "loading the profiler failed: " + e.Message;
            return null;
        }
    }

    private static Native? Connect(string path)
    {
        try
        {
            if (!NativeLibrary.TryLoad(path, out var handle))
            {
                s_notLoadedReason = $"the profiler library '{path}' could not be loaded";
                return null;
            }
            var native = new Native(handle);
            int abi = 0, initialized = 0, hr = 0;
            native.GetInfo(&abi, &initialized, &hr);
            if (abi != ProbeAbi.Version)
            {
                s_notLoadedReason = $"the profiler at '{path}' speaks ABI {abi}, the agent {ProbeAbi.Version}: rebuild both";
                return null;
            }
            if (initialized == 0)
            {
                s_notLoadedReason = hr == UnsupportedRuntime
                    ? $"the profiler does not support .NET {Environment.Version} (.NET {RuntimeSupport.OldestMajor} to {RuntimeSupport.NewestMajor}): line and method tracepoints cannot be installed"
                    : hr != 0
                    ? $"the profiler failed to initialise (0x{hr:X8}); set DEEP_PROFILER_LOG=<file> for details"
                    : "the runtime did not initialise the profiler (check CORECLR_PROFILER and the runtime's profiler log)";
                return null;
            }
            // The rewritten IL references the probe runtime by assembly name and version: tell the profiler ours.
            var agent = typeof(ProfilerBridge).Assembly.GetName();
            var version = agent.Version ?? new Version(0, 0, 0, 0);
            string agentName = agent.Name ?? "Deep.Agent";
            fixed (char* n = agentName)
            {
                int hrConfigure = native.Configure(n, agentName.Length, version.Major, version.Minor, Math.Max(0, version.Build), Math.Max(0, version.Revision));
                if (hrConfigure != 0)
                {
                    s_notLoadedReason = $"the profiler refused the agent's identity (0x{hrConfigure:X8})";
                    return null;
                }
            }
            return native;
        }
        catch (Exception e)
        {
            s_notLoadedReason = "loading the profiler failed: " + e.Message;
            return null;
        }
    }

    /// <summary>The profiler's exports, resolved once.</summary>
    private sealed class Native(IntPtr handle)
    {
        public readonly delegate* unmanaged<int*, int*, int*, int> GetInfo =
            (delegate* unmanaged<int*, int*, int*, int>)NativeLibrary.GetExport(handle, "deep_profiler_get_info");

        public readonly delegate* unmanaged<char*, int, int, int, int, int, int> Configure =
            (delegate* unmanaged<char*, int, int, int, int, int, int>)NativeLibrary.GetExport(handle, "deep_profiler_configure");

        public readonly delegate* unmanaged<char*, int, uint, int, NativeInsertion*, int, SlotSource*, int, int, ProbeRefusal*, char*, int, int*, int> SetMethodProbes =
            (delegate* unmanaged<char*, int, uint, int, NativeInsertion*, int, SlotSource*, int, int, ProbeRefusal*, char*, int, int*, int>)NativeLibrary.GetExport(handle, "deep_set_method_probes");

        public readonly delegate* unmanaged<char*, int, uint, int*, int*, char*, int, int*, int> GetMethodStatus =
            (delegate* unmanaged<char*, int, uint, int*, int*, char*, int, int*, int>)NativeLibrary.GetExport(handle, "deep_get_method_status");

        public readonly delegate* unmanaged<char*, int, int*, int> EnumModules =
            (delegate* unmanaged<char*, int, int*, int>)NativeLibrary.GetExport(handle, "deep_enum_modules");
    }
}

/// <summary>One probe to insert into a method.</summary>
/// <param name="ProbeId">The id the rewritten IL passes to the probe runtime.</param>
/// <param name="ILOffset">The original IL offset of the instruction the probe runs before.</param>
/// <param name="Slots">The values to capture, in slot order.</param>
/// <param name="Kind">A probe at the offset, an exit probe, a span end, a request for exit hooks alone, or a line capture.</param>
/// <param name="EndILOffset">A line capture's after-line offset: the line from <paramref name="ILOffset"/> up to it is wrapped.</param>
internal sealed record ProbeInsertion(int ProbeId, int ILOffset, IReadOnlyList<SlotSource> Slots, InsertionKind Kind = InsertionKind.Probe, int EndILOffset = 0);

/// <summary>Whether the profiler accepted a method's probes, and why not.</summary>
/// <param name="Success">The profiler took the probes.</param>
/// <param name="Error">Why not, as users read it (see <see cref="ProbeRefusals"/>).</param>
/// <param name="Refusal">The profiler's refusal code and offsets, when it answered one.</param>
internal sealed record MethodProbeResult(bool Success, string? Error, ProbeRefusal? Refusal = null)
{
    /// <summary>A refusal of the profiler, worded for users; <paramref name="detail"/> is its text for codes without wording.</summary>
    public static MethodProbeResult Refused(ProbeRefusal refusal, string? detail) =>
        new(false, ProbeRefusals.Describe(refusal, detail), refusal);
}

/// <summary>A method's state in the profiler, with the last HRESULT and message.</summary>
internal sealed record MethodStatus(MethodState State, int HResult, string? Message);
