namespace Deep.Profiler.Com;

/// <summary>Typed calls on <c>ICorProfilerInfo10</c> (slots from corprof.idl, see clr-profiling.md).</summary>
internal sealed unsafe class CorProfilerInfo(nint info)
{
    /// <summary><c>COR_PRF_MONITOR_MODULE_LOADS</c>.</summary>
    public const uint MonitorModuleLoads = 0x4;
    /// <summary><c>COR_PRF_MONITOR_JIT_COMPILATION</c>: the JIT asks <c>JITInlining</c> before each inlining (allowed
    /// after attach too).</summary>
    public const uint MonitorJitCompilation = 0x20;
    /// <summary><c>COR_PRF_ENABLE_REJIT</c>.</summary>
    public const uint EnableReJit = 0x40000;
    /// <summary><c>COR_PRF_REJIT_BLOCK_INLINING</c>.</summary>
    public const uint ReJitBlockInlining = 0x1;
    /// <summary><c>ofRead | ofWrite</c> for <c>GetModuleMetaData</c>.</summary>
    public const uint OpenReadWrite = 0x1;

    public nint Pointer { get; } = info;

    public int SetEventMask(uint mask) =>
        ((delegate* unmanaged<nint, uint, int>)ComPtr.Slot(Pointer, 16))(Pointer, mask);

    /// <summary>ICorProfilerInfo3::GetRuntimeInformation (slot 67): the runtime's major and minor version.</summary>
    public int GetRuntimeVersion(out int major, out int minor)
    {
        ushort instance = 0, maj = 0, min = 0, build = 0, qfe = 0;
        int runtimeType = 0;
        uint length = 0;
        // A buffer for the version string although only the numbers are used: .NET Core 3.1 answers
        // ERROR_INSUFFICIENT_BUFFER to an empty one.
        const int capacity = 128;
        char* version = stackalloc char[capacity];
        int hr = ((delegate* unmanaged<nint, ushort*, int*, ushort*, ushort*, ushort*, ushort*, uint, uint*, char*, int>)ComPtr.Slot(Pointer, 67))(
            Pointer, &instance, &runtimeType, &maj, &min, &build, &qfe, capacity, &length, version);
        major = maj;
        minor = min;
        return hr;
    }

    public int GetModuleInfo(nint moduleId, out string path, out nint assemblyId)
    {
        const int capacity = 1024;
        char* name = stackalloc char[capacity];
        uint length = 0;
        nint baseAddress = 0, assembly = 0;
        int hr = ((delegate* unmanaged<nint, nint, nint*, uint, uint*, char*, nint*, int>)ComPtr.Slot(Pointer, 20))(
            Pointer, moduleId, &baseAddress, capacity, &length, name, &assembly);
        path = HResults.Failed(hr) ? "" : TrimmedString(name, length, capacity);
        assemblyId = assembly;
        return hr;
    }

    /// <summary>ICorProfilerInfo3::GetModuleInfo2 (slot 70), for the module's COR_PRF_MODULE_FLAGS only.</summary>
    public int GetModuleFlags(nint moduleId, out uint flags)
    {
        nint baseAddress = 0, assembly = 0;
        uint length = 0, f = 0;
        int hr = ((delegate* unmanaged<nint, nint, nint*, uint, uint*, char*, nint*, uint*, int>)ComPtr.Slot(Pointer, 70))(
            Pointer, moduleId, &baseAddress, 0, &length, null, &assembly, &f);
        flags = f;
        return hr;
    }

    public int GetModuleMetaData(nint moduleId, uint openFlags, in Guid iid, out nint result)
    {
        nint r = 0;
        fixed (Guid* g = &iid)
        {
            int hr = ((delegate* unmanaged<nint, nint, uint, Guid*, nint*, int>)ComPtr.Slot(Pointer, 21))(Pointer, moduleId, openFlags, g, &r);
            result = r;
            return hr;
        }
    }

    public int GetILFunctionBody(nint moduleId, uint methodToken, out byte* header, out uint size)
    {
        byte* h = null;
        uint s = 0;
        int hr = ((delegate* unmanaged<nint, nint, uint, byte**, uint*, int>)ComPtr.Slot(Pointer, 22))(Pointer, moduleId, methodToken, &h, &s);
        header = h;
        size = s;
        return hr;
    }

    public int GetAssemblyName(nint assemblyId, out string name)
    {
        const int capacity = 512;
        char* buffer = stackalloc char[capacity];
        uint length = 0;
        nint appDomain = 0, module = 0;
        int hr = ((delegate* unmanaged<nint, nint, uint, uint*, char*, nint*, nint*, int>)ComPtr.Slot(Pointer, 26))(
            Pointer, assemblyId, capacity, &length, buffer, &appDomain, &module);
        name = HResults.Failed(hr) ? "" : TrimmedString(buffer, length, capacity);
        return hr;
    }

    /// <summary>All loaded modules (ICorProfilerInfo3::EnumModules, then ICorProfilerModuleEnum GetCount/Next).</summary>
    public int EnumModules(List<nint> into)
    {
        nint moduleEnum = 0;
        int hr = ((delegate* unmanaged<nint, nint*, int>)ComPtr.Slot(Pointer, 66))(Pointer, &moduleEnum);
        if (HResults.Failed(hr) || moduleEnum == 0)
            return hr;
        try
        {
            uint count = 0;
            hr = ((delegate* unmanaged<nint, uint*, int>)ComPtr.Slot(moduleEnum, 6))(moduleEnum, &count);
            if (HResults.Failed(hr) || count == 0)
                return hr;
            var ids = new nint[count];
            uint fetched = 0;
            fixed (nint* p = ids)
                hr = ((delegate* unmanaged<nint, uint, nint*, uint*, int>)ComPtr.Slot(moduleEnum, 7))(moduleEnum, count, p, &fetched);
            for (int i = 0; i < fetched; i++)
                into.Add(ids[i]);
            return hr;
        }
        finally
        {
            ComPtr.Release(moduleEnum);
        }
    }

    /// <summary>ICorProfilerInfo::GetFunctionInfo (slot 15): the module and method token of a compiled function.</summary>
    public int GetFunctionInfo(nint functionId, out nint moduleId, out uint methodToken)
    {
        nint classId = 0, module = 0;
        uint token = 0;
        int hr = ((delegate* unmanaged<nint, nint, nint*, nint*, uint*, int>)ComPtr.Slot(Pointer, 15))(Pointer, functionId, &classId, &module, &token);
        moduleId = module;
        methodToken = token;
        return hr;
    }

    /// <summary>ICorProfilerInfo8::IsFunctionDynamic (slot 87): true for a method without metadata (a DynamicMethod,
    /// an IL stub).</summary>
    public int IsFunctionDynamic(nint functionId, out bool dynamic)
    {
        int d = 0;
        int hr = ((delegate* unmanaged<nint, nint, int*, int>)ComPtr.Slot(Pointer, 87))(Pointer, functionId, &d);
        dynamic = !HResults.Failed(hr) && d != 0;
        return hr;
    }

    /// <summary>
    /// Every function with compiled code (ICorProfilerInfo4::EnumJITedFunctions2, slot 79, then
    /// ICorProfilerFunctionEnum Next): one entry per compiled version, (FunctionID, ReJITID).
    /// </summary>
    public int EnumJitedFunctions(List<(nint FunctionId, nint ReJitId)> into)
    {
        nint functionEnum = 0;
        int hr = ((delegate* unmanaged<nint, nint*, int>)ComPtr.Slot(Pointer, 79))(Pointer, &functionEnum);
        if (HResults.Failed(hr) || functionEnum == 0)
            return hr;
        try
        {
            // COR_PRF_FUNCTION { FunctionID functionId; ReJITID reJitId; }
            const int chunk = 512;
            var buffer = new nint[chunk * 2];
            while (true)
            {
                uint fetched = 0;
                fixed (nint* p = buffer)
                    hr = ((delegate* unmanaged<nint, uint, nint*, uint*, int>)ComPtr.Slot(functionEnum, 7))(functionEnum, chunk, p, &fetched);
                for (int i = 0; i < fetched; i++)
                    into.Add((buffer[2 * i], buffer[2 * i + 1]));
                if (HResults.Failed(hr) || hr == HResults.S_FALSE || fetched < chunk)
                    return HResults.Failed(hr) ? hr : HResults.S_OK;
            }
        }
        finally
        {
            ComPtr.Release(functionEnum);
        }
    }

    /// <summary>ICorProfilerInfo4::GetReJITIDs (slot 77): the ReJIT versions of a function that the runtime keeps.</summary>
    public int GetReJitIds(nint functionId, List<nint> into)
    {
        const int capacity = 64;
        nint* ids = stackalloc nint[capacity];
        uint count = 0;
        int hr = ((delegate* unmanaged<nint, nint, uint, uint*, nint*, int>)ComPtr.Slot(Pointer, 77))(Pointer, functionId, capacity, &count, ids);
        if (HResults.Failed(hr))
            return hr;
        for (int i = 0; i < Math.Min(count, capacity); i++)
            into.Add(ids[i]);
        return hr;
    }

    /// <summary>
    /// ICorProfilerInfo9::GetNativeCodeStartAddresses (slot 90): how many native bodies (tiers) a function has for
    /// one ReJIT version; 0 while that version was not compiled for it.
    /// </summary>
    public int CountNativeCode(nint functionId, nint reJitId, out int count)
    {
        uint n = 0;
        int hr = ((delegate* unmanaged<nint, nint, nint, uint, uint*, nuint*, int>)ComPtr.Slot(Pointer, 90))(Pointer, functionId, reJitId, 0, &n, null);
        count = (int)n;
        return hr;
    }

    public int InitializeCurrentThread() =>
        ((delegate* unmanaged<nint, int>)ComPtr.Slot(Pointer, 72))(Pointer);

    public int RequestRevert(nint moduleId, uint methodToken, out int status)
    {
        int s = 0;
        int hr = ((delegate* unmanaged<nint, uint, nint*, uint*, int*, int>)ComPtr.Slot(Pointer, 74))(Pointer, 1, &moduleId, &methodToken, &s);
        status = s;
        return hr;
    }

    public int RequestReJITWithInliners(nint moduleId, uint methodToken) =>
        ((delegate* unmanaged<nint, uint, uint, nint*, uint*, int>)ComPtr.Slot(Pointer, 96))(Pointer, ReJitBlockInlining, 1, &moduleId, &methodToken);

    private static string TrimmedString(char* buffer, uint length, int capacity)
    {
        // The length the runtime reports includes the terminating NUL.
        int n = (int)Math.Min(length, (uint)capacity);
        while (n > 0 && buffer[n - 1] == '\0')
            n--;
        return new string(buffer, 0, n);
    }
}
