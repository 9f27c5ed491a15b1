using System.Runtime.InteropServices;
using Deep.Abi;
using Deep.Profiler.Com;
using Deep.Profiler.Rewriting;
using MethodBody = Deep.Profiler.Rewriting.MethodBody;

namespace Deep.Profiler.Engine;

/// <summary>
/// A rewritten body in native memory, handed to the runtime in GetReJITParameters, with its map back to the original
/// IL offsets (<see cref="InstrumentedMap"/>: COR_IL_MAP triples; the runtime copies it).
/// </summary>
internal sealed record NativeBody(nint Pointer, int Size, int[]? Map = null);

/// <summary>One method the profiler rewrote (or tried to).</summary>
internal sealed class MethodEntry(nint moduleId, uint token)
{
    public nint ModuleId { get; } = moduleId;
    public uint Token { get; } = token;
    public MethodBody? Original { get; set; }
    public volatile NativeBody? Current;
    // Bodies replaced by a newer set stay alive until a revert: a ReJIT already under way may still read one.
    public readonly List<NativeBody> Retired = [];
    public volatile int State;
    public volatile int HResult;
    public volatile string? Message;
}

/// <summary>
/// The profiler's engine: the module registry, per-module tokens, and per-method probe sets turned into ReJIT
/// requests. Everything that calls the profiling API runs on the <see cref="Worker"/>, except what the runtime's
/// callbacks do on their own thread.
/// </summary>
internal static unsafe class ProbeEngine
{
    private static readonly object s_methodsLock = new();
    private static readonly Dictionary<(nint, uint), MethodEntry> s_methods = [];
    private static readonly Dictionary<nint, ModuleProbeTokens> s_tokens = [];

    public static CorProfilerInfo? Info { get; private set; }
    public static Worker? Worker { get; private set; }
    public static ModuleRegistry Modules { get; } = new();
    public static volatile bool Initialized;
    public static volatile int InitResult;

    /// <summary>The agent assembly the probe runtime lives in, as the bridge reported it.</summary>
    public static string AgentAssemblyName { get; set; } = "Deep.Agent";
    public static Version? AgentVersion { get; set; }

    /// <summary>Called from Initialize / InitializeForAttach with the runtime's info object.</summary>
    public static int Start(nint infoUnknown, bool attached)
    {
        int hr = ComPtr.QueryInterface(infoUnknown, Guids.ICorProfilerInfo10, out nint info10);
        if (HResults.Failed(hr))
        {
            Log.Write($"QueryInterface(ICorProfilerInfo10) failed 0x{hr:X8}: the runtime is too old");
            InitResult = hr;
            return hr;
        }
        var info = new CorProfilerInfo(info10);
        if (WhyUnsupported(info) is { } why)
        {
            // One line where the user sees it, then stay out: the runtime unloads a profiler that fails Initialize.
            Log.Write(why);
            TryWriteStderr(why);
            InitResult = HResults.DEEP_E_UNSUPPORTED_RUNTIME;
            return InitResult;
        }
        hr = info.SetEventMask(CorProfilerInfo.MonitorModuleLoads | CorProfilerInfo.EnableReJit | CorProfilerInfo.MonitorJitCompilation);
        if (HResults.Failed(hr))
        {
            Log.Write($"SetEventMask failed 0x{hr:X8}");
            InitResult = hr;
            return hr;
        }
        Info = info;
        Worker = new Worker(info);
        Worker.Start();
        if (attached)
            Worker.Post(EnumerateLoadedModules);
        Initialized = true;
        Log.Write($"profiler initialised ({(attached ? "attach" : "startup")})");
        return HResults.S_OK;
    }

    /// <summary>The runtime majors the profiler supports (the agent's Native/RuntimeSupport says the same).</summary>
    public const int OldestMajor = 8, NewestMajor = 10;

    /// <summary>Null on a supported runtime, else the one line saying why the profiler stays out.</summary>
    internal static string? WhyUnsupported(int major, int minor) =>
        major is >= OldestMajor and <= NewestMajor
            ? null
            : $"deep profiler: {RuntimeName(major, minor)} is not supported (.NET {OldestMajor} to {NewestMajor}): the profiler stays out of this process";

    // .NET Core 3.x and older report the CLR's 4.0 (seen: 3.1.32 reports 4.0); .NET 5 and later their own version.
    private static string RuntimeName(int major, int minor) =>
        major < 5 ? $".NET Core 3.1 or older (it reports {major}.{minor})" : $".NET {major}.{minor}";

    private static string? WhyUnsupported(CorProfilerInfo info)
    {
        int hr = info.GetRuntimeVersion(out int major, out int minor);
        if (HResults.Failed(hr))
            return $"deep profiler: the runtime's version is unknown (GetRuntimeInformation 0x{hr:X8}): the profiler stays out of this process";
        Log.Write($"runtime {major}.{minor}");
        return WhyUnsupported(major, minor);
    }

    private static void TryWriteStderr(string line)
    {
        try
        {
            Console.Error.WriteLine(line);
        }
        catch
        {
            // No stderr: the log (when on) has it.
        }
    }

    /// <summary>Records modules already loaded (after attach, or when a path is not known yet). Worker only.</summary>
    public static void EnumerateLoadedModules()
    {
        var info = Info!;
        var ids = new List<nint>();
        info.EnumModules(ids);
        foreach (var id in ids)
        {
            if (Modules.Get(id) is null && ModuleRegistry.Describe(info, id) is { } module)
                Modules.Add(module);
        }
    }

    /// <summary>
    /// Replaces the probes of one method (worker thread). Returns 0 or an HRESULT, with why for the agent: a refusal
    /// code, and a message when the code is <see cref="RefusalCode.Other"/> or <see cref="RefusalCode.ModuleNotInstrumentable"/>.
    /// </summary>
    public static int SetMethodProbes(string modulePath, uint methodToken, int typeFlags, IReadOnlyList<ProbeRequest> probes, out ProbeRefusal refusal, out string? message)
    {
        var modules = Modules.FindAllByPath(modulePath);
        if (modules.Count == 0)
        {
            EnumerateLoadedModules();
            modules = Modules.FindAllByPath(modulePath);
        }
        if (modules.Count == 0)
        {
            message = $"the module '{modulePath}' is not loaded in this process (as far as the profiler saw)";
            refusal = new ProbeRefusal(RefusalCode.Other);
            return HResults.E_INVALIDARG;
        }
        // The same file loaded into several AssemblyLoadContexts is one module per context, each with its own code:
        // every copy gets the probes. The call succeeds when at least one copy took them; the others are logged.
        int result = HResults.S_OK;
        message = null;
        refusal = default;
        bool anySucceeded = false;
        foreach (var module in modules)
        {
            int hr = SetMethodProbesIn(module, methodToken, typeFlags, probes, out var refused, out string? why);
            if (HResults.Failed(hr))
            {
                if (modules.Count > 1)
                    Log.Write($"module 0x{module.Id:X} ({module.AssemblyName}), one of {modules.Count} copies of {modulePath}: 0x{methodToken:X8} failed: {why ?? refused.ToString()}");
                if (!anySucceeded)
                {
                    result = hr;
                    message = why;
                    refusal = refused;
                }
            }
            else if (!anySucceeded)
            {
                anySucceeded = true;
                result = hr;
                message = null;
                refusal = default;
            }
        }
        return result;
    }

    private static int SetMethodProbesIn(LoadedModule module, uint methodToken, int typeFlags, IReadOnlyList<ProbeRequest> probes, out ProbeRefusal refusal, out string? message)
    {
        var info = Info!;
        refusal = default;
        if (module.AssemblyName is "System.Private.CoreLib" || string.Equals(module.AssemblyName, AgentAssemblyName, StringComparison.Ordinal))
        {
            message = $"methods of {module.AssemblyName} cannot be instrumented";
            refusal = new ProbeRefusal(RefusalCode.ModuleNotInstrumentable);
            return HResults.E_INVALIDARG;
        }

        MethodEntry entry;
        lock (s_methodsLock)
        {
            if (!s_methods.TryGetValue((module.Id, methodToken), out entry!))
                s_methods[(module.Id, methodToken)] = entry = new MethodEntry(module.Id, methodToken);
        }

        if (probes.Count == 0)
        {
            int reverted = Revert(entry, "probes removed", out message);
            if (HResults.Failed(reverted))
                refusal = new ProbeRefusal(RefusalCode.Other);
            return reverted;
        }

        try
        {
            if (AgentVersion is null)
                throw new InvalidOperationException("the agent did not tell the profiler its assembly version (deep_profiler_configure)");
            entry.Original ??= ReadOriginalBody(info, module.Id, methodToken);
            var tokens = TokensFor(info, module.Id);
            var context = ReadContext(tokens.Metadata, methodToken, entry.Original, typeFlags);

            // Exit probes, span ends and frame hooks need the wrapper (every exit path through one finally).
            HookLocals? hooks = null;
            ExitWrap? wrap = null;
            byte[]? signature = null;
            if (probes.Any(p => p.Kind is InsertionKind.Exit or InsertionKind.ExitOnException or InsertionKind.SpanEnd or InsertionKind.FrameHooks))
                (hooks, signature) = ExitHooks.PlanLocals(context, context.LocalsSignature);
            // Line captures wrap their lines (two locals each, after the exit hooks' ones).
            LineRegions? lines = null;
            var captured = probes.Where(p => p.Kind == InsertionKind.LineCapture).GroupBy(p => (p.ILOffset, p.EndILOffset)).ToList();
            List<LineRegion>? regions = null;
            if (captured.Count > 0)
            {
                (int first, signature) = LineCapture.AppendLocals(signature ?? context.LocalsSignature, captured.Count);
                regions = captured.Select((g, k) => LineCapture.Build(g.Key.ILOffset, g.Key.EndILOffset, g.ToList(), first + 2 * k, first + 2 * k + 1, context, tokens)).ToList();
            }
            int localsToken = signature is null ? entry.Original.LocalVarSigToken : tokens.LocalsToken(signature);
            if (hooks is not null)
                wrap = ExitHooks.Build(context, hooks, localsToken, probes.Where(p => p.Kind is InsertionKind.Exit or InsertionKind.ExitOnException).ToList(), tokens);
            if (regions is not null)
                lines = new LineRegions(regions, localsToken, new MetadataCallSignatures(tokens.Metadata));
            var insertions = new List<ILInsertion>(probes.Count);
            foreach (var probe in probes)
            {
                if (probe.Kind is InsertionKind.Probe or InsertionKind.SpanEnd)
                    insertions.Add(ProbeCode.Build(probe, context, tokens, hooks));
            }
            var result = ILRewriter.Rewrite(entry.Original, insertions, wrap, lines);
            var rewritten = result.Body.Encode();

            nint memory = (nint)NativeMemory.Alloc((nuint)rewritten.Length);
            Marshal.Copy(rewritten, 0, memory, rewritten.Length);
            var previous = entry.Current;
            if (previous is not null)
            {
                lock (entry.Retired)
                    entry.Retired.Add(previous);
            }
            entry.Current = new NativeBody(memory, rewritten.Length, InstrumentedMap.Entries(result));

            // "Requested" before the request: a thread calling the method can run GetReJITParameters (which marks the
            // entry Active) before RequestReJITWithInliners even returns here.
            entry.State = (int)MethodState.Requested;
            entry.HResult = 0;
            entry.Message = null;
            int hr = info.RequestReJITWithInliners(module.Id, methodToken);
            if (HResults.Failed(hr))
            {
                Fail(entry, hr, $"RequestReJITWithInliners failed (0x{hr:X8})");
                message = entry.Message;
                refusal = new ProbeRefusal(RefusalCode.Other);
                return hr;
            }
            Log.Write($"ReJIT requested: {module.AssemblyName} 0x{methodToken:X8} in module 0x{module.Id:X}, {probes.Count} probe(s), body {rewritten.Length} bytes");
            message = null;
            return HResults.S_OK;
        }
        catch (Exception e)
        {
            // A refusal the agent words itself travels as its code; anything else as text.
            refusal = (e as InvalidILException)?.Refusal ?? new ProbeRefusal(RefusalCode.Other);
            string why = e is InvalidILException ? "the method cannot be instrumented: " + e.Message : e.Message;
            Fail(entry, HResults.E_FAIL, why);
            Revert(entry, why, out _);
            entry.State = (int)MethodState.Failed;
            entry.Message = why;
            message = refusal.Code == RefusalCode.Other ? why : null;
            return HResults.E_FAIL;
        }
    }

    /// <summary>GetReJITParameters (an application thread, inside the JIT): hand over the prepared body.</summary>
    public static int OnGetReJITParameters(nint moduleId, uint methodToken, nint functionControl)
    {
        MethodEntry? entry;
        lock (s_methodsLock)
            s_methods.TryGetValue((moduleId, methodToken), out entry);
        var body = entry?.Current;
        if (entry is null || body is null)
        {
            Log.Write($"GetReJITParameters for 0x{methodToken:X8} without a prepared body: the original IL is used");
            return HResults.S_OK;
        }
        // ICorProfilerFunctionControl slot 4: SetILFunctionBody(cbNewILMethodHeader, pbNewILMethodHeader)
        int hr;
        unsafe
        {
            hr = ((delegate* unmanaged<nint, uint, nint, int>)ComPtr.Slot(functionControl, 4))(functionControl, (uint)body.Size, body.Pointer);
        }
        if (HResults.Failed(hr))
        {
            Fail(entry, hr, $"SetILFunctionBody failed (0x{hr:X8})");
            Worker?.Post(() => Revert(entry, "SetILFunctionBody failed", out _));
        }
        else
        {
            entry.State = (int)MethodState.Active;
            SetMap(functionControl, body.Map, methodToken);
        }
        Log.Write($"GetReJITParameters 0x{methodToken:X8} in module 0x{moduleId:X}: SetILFunctionBody hr=0x{hr:X8}");
        return hr;
    }

    // ICorProfilerFunctionControl slot 5: SetILInstrumentedCodeMap(cILMapEntries, rgILMapEntries), copied by the
    // runtime. Without it the runtime reports the rewritten body's IL offsets (stack traces, their lines); a failure
    // only costs that, so it is logged, not fatal.
    private static void SetMap(nint functionControl, int[]? map, uint methodToken)
    {
        if (map is null || map.Length == 0)
            return;
        int hr;
        fixed (int* entries = map)
            hr = ((delegate* unmanaged<nint, uint, int*, int>)ComPtr.Slot(functionControl, 5))(functionControl, (uint)(map.Length / 3), entries);
        if (HResults.Failed(hr))
            Log.Write($"SetILInstrumentedCodeMap 0x{methodToken:X8}: hr=0x{hr:X8} (stack traces show rewritten IL offsets)");
    }

    /// <summary>ReJITError: record it and put the original code back.</summary>
    public static void OnReJITError(nint moduleId, uint methodToken, int status)
    {
        MethodEntry? entry;
        lock (s_methodsLock)
            s_methods.TryGetValue((moduleId, methodToken), out entry);
        Log.Write($"ReJITError 0x{methodToken:X8}: 0x{status:X8}");
        if (entry is null)
            return;
        Fail(entry, status, $"the runtime could not compile the rewritten method (ReJITError 0x{status:X8})");
        Worker?.Post(() =>
        {
            Revert(entry, entry.Message ?? "ReJIT error", out _);
            entry.State = (int)MethodState.Failed;
        });
    }

    /// <summary>
    /// How many compiled copies of a method (one per value-type instantiation of a generic method or type, one shared
    /// by reference types, one for a plain method) have no code for its newest ReJIT version, out of how many. The
    /// runtime calls GetReJITParameters once per request, when the first copy is recompiled; a copy whose compilation
    /// of the old code was under way at the request can keep that code, so "the runtime took the body" is not enough.
    /// A copy also counts as behind while it was not called since the request. Worker only.
    /// </summary>
    public static (int Behind, int Compiled) CopiesBehind(MethodEntry entry)
    {
        var info = Info!;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var jitted = new List<(nint FunctionId, nint ReJitId)>();
        int hr = info.EnumJitedFunctions(jitted);
        if (HResults.Failed(hr))
            return (0, 0);
        var copies = new HashSet<nint>();
        foreach (var (functionId, _) in jitted)
        {
            if (copies.Contains(functionId))
                continue;
            if (HResults.Succeeded(info.GetFunctionInfo(functionId, out nint module, out uint token)) && module == entry.ModuleId && token == entry.Token)
                copies.Add(functionId);
        }
        // ReJIT ids are versions of the method's IL, shared by its copies and increasing: the newest is the largest.
        nint newest = 0;
        var ids = new List<nint>();
        foreach (var copy in copies)
        {
            ids.Clear();
            if (HResults.Failed(info.GetReJitIds(copy, ids)))
                continue;
            foreach (var id in ids)
                newest = Math.Max(newest, id);
        }
        if (newest == 0)
            return (0, copies.Count);
        int behind = 0;
        foreach (var copy in copies)
        {
            if (HResults.Failed(info.CountNativeCode(copy, newest, out int count)) || count == 0)
                behind++;
        }
        Log.Write($"0x{entry.Token:X8} in module 0x{entry.ModuleId:X}: {copies.Count - behind} of {copies.Count} compiled copies run ReJIT version {newest} (looked through {jitted.Count} compiled functions in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1} ms)");
        return (behind, copies.Count);
    }

    public static MethodEntry? FindMethod(string modulePath, uint methodToken)
    {
        var module = Modules.FindByPath(modulePath);
        if (module is null)
            return null;
        lock (s_methodsLock)
            return s_methods.GetValueOrDefault((module.Id, methodToken));
    }

    private static int Revert(MethodEntry entry, string why, out string? message)
    {
        message = null;
        var current = entry.Current;
        if (current is null && entry.State != (int)MethodState.Requested && entry.State != (int)MethodState.Active)
        {
            entry.State = (int)MethodState.Reverted;
            return HResults.S_OK;
        }
        int hr = Info!.RequestRevert(entry.ModuleId, entry.Token, out int status);
        Log.Write($"RequestRevert 0x{entry.Token:X8} ({why}): hr=0x{hr:X8} status=0x{status:X8}");
        if (HResults.Failed(hr) || HResults.Failed(status))
        {
            int failed = HResults.Failed(hr) ? hr : status;
            message = $"RequestRevert failed (0x{failed:X8})";
            Fail(entry, failed, message);
            return failed;
        }
        entry.Current = null;
        entry.State = (int)MethodState.Reverted;
        // The original code is back; no ReJIT of this method can still read the old bodies.
        lock (entry.Retired)
        {
            if (current is not null)
                entry.Retired.Add(current);
            foreach (var b in entry.Retired)
            {
                unsafe
                {
                    NativeMemory.Free((void*)b.Pointer);
                }
            }
            entry.Retired.Clear();
        }
        return HResults.S_OK;
    }

    private static void Fail(MethodEntry entry, int hr, string message)
    {
        entry.State = (int)MethodState.Failed;
        entry.HResult = hr;
        entry.Message = message;
        Log.Write($"method 0x{entry.Token:X8} failed: {message}");
    }

    private static unsafe MethodBody ReadOriginalBody(CorProfilerInfo info, nint moduleId, uint methodToken)
    {
        int hr = info.GetILFunctionBody(moduleId, methodToken, out byte* header, out uint size);
        if (HResults.Failed(hr) || header == null)
            throw new InvalidOperationException($"GetILFunctionBody failed (0x{hr:X8}): the method has no IL body (abstract, extern or runtime-implemented?)");
        return MethodBody.Parse(new ReadOnlySpan<byte>(header, (int)size));
    }

    private static ModuleProbeTokens TokensFor(CorProfilerInfo info, nint moduleId)
    {
        if (!s_tokens.TryGetValue(moduleId, out var tokens))
            s_tokens[moduleId] = tokens = ModuleProbeTokens.Create(info, moduleId, AgentAssemblyName, AgentVersion!);
        return tokens;
    }

    private static MethodContext ReadContext(ModuleMetadata metadata, uint methodToken, MethodBody body, int typeFlags)
    {
        int hr = metadata.GetMethodProps((int)methodToken, out int declaringType, out byte[] signature);
        if (HResults.Failed(hr))
            throw new InvalidOperationException($"GetMethodProps failed (0x{hr:X8})");
        var sig = SignatureParser.ParseMethod(signature);
        IReadOnlyList<SigType> locals = [];
        byte[]? localSig = null;
        if (body.LocalVarSigToken != 0)
        {
            hr = metadata.GetSigFromToken(body.LocalVarSigToken, out localSig);
            if (HResults.Failed(hr))
                throw new InvalidOperationException($"GetSigFromToken(locals) failed (0x{hr:X8})");
            locals = SignatureParser.ParseLocals(localSig);
        }
        return new MethodContext(sig, locals, declaringType, (typeFlags & 1) != 0, (typeFlags >> 8) & 0xFF) { LocalsSignature = localSig };
    }
}
