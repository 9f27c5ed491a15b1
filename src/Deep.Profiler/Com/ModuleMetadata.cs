using System.Runtime.InteropServices;

namespace Deep.Profiler.Com;

/// <summary><c>ASSEMBLYMETADATA</c> from cor.h (x64 layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AssemblyMetadata
{
    public ushort MajorVersion;
    public ushort MinorVersion;
    public ushort BuildNumber;
    public ushort RevisionNumber;
    public char* Locale;
    public uint LocaleLength;
    public uint* Processor;
    public uint ProcessorCount;
    public void* OS;
    public uint OSCount;
}

/// <summary>
/// A module's live metadata opened for read and write: <c>IMetaDataEmit2</c> (which extends IMetaDataEmit),
/// <c>IMetaDataAssemblyEmit</c> and <c>IMetaDataImport</c>. Slots from cor.h.
/// </summary>
internal sealed unsafe class ModuleMetadata : IDisposable
{
    private nint _emit;
    private nint _assemblyEmit;
    private nint _import;

    private ModuleMetadata(nint emit, nint assemblyEmit, nint import)
    {
        _emit = emit;
        _assemblyEmit = assemblyEmit;
        _import = import;
    }

    public static int Open(CorProfilerInfo info, nint moduleId, out ModuleMetadata? metadata)
    {
        metadata = null;
        int hr = info.GetModuleMetaData(moduleId, CorProfilerInfo.OpenReadWrite, Guids.IMetaDataEmit2, out nint emit);
        if (HResults.Failed(hr))
            return hr;
        hr = ComPtr.QueryInterface(emit, Guids.IMetaDataAssemblyEmit, out nint assemblyEmit);
        if (HResults.Failed(hr))
        {
            ComPtr.Release(emit);
            return hr;
        }
        hr = ComPtr.QueryInterface(emit, Guids.IMetaDataImport, out nint import);
        if (HResults.Failed(hr))
        {
            ComPtr.Release(emit);
            ComPtr.Release(assemblyEmit);
            return hr;
        }
        metadata = new ModuleMetadata(emit, assemblyEmit, import);
        return HResults.S_OK;
    }

    // IMetaDataAssemblyEmit slot 4
    public int DefineAssemblyRef(string name, Version version, out int token)
    {
        var md = new AssemblyMetadata
        {
            MajorVersion = (ushort)Math.Max(0, version.Major),
            MinorVersion = (ushort)Math.Max(0, version.Minor),
            BuildNumber = (ushort)Math.Max(0, version.Build),
            RevisionNumber = (ushort)Math.Max(0, version.Revision),
        };
        int t = 0;
        int hr;
        fixed (char* n = name)
            hr = ((delegate* unmanaged<nint, void*, uint, char*, AssemblyMetadata*, void*, uint, uint, int*, int>)ComPtr.Slot(_assemblyEmit, 4))(
                _assemblyEmit, null, 0, n, &md, null, 0, 0, &t);
        token = t;
        return hr;
    }

    // IMetaDataEmit slot 12
    public int DefineTypeRefByName(int scope, string name, out int token)
    {
        int t = 0;
        int hr;
        fixed (char* n = name)
            hr = ((delegate* unmanaged<nint, int, char*, int*, int>)ComPtr.Slot(_emit, 12))(_emit, scope, n, &t);
        token = t;
        return hr;
    }

    // IMetaDataEmit slot 14
    public int DefineMemberRef(int parent, string name, ReadOnlySpan<byte> signature, out int token)
    {
        int t = 0;
        int hr;
        fixed (char* n = name)
        fixed (byte* s = signature)
            hr = ((delegate* unmanaged<nint, int, char*, byte*, uint, int*, int>)ComPtr.Slot(_emit, 14))(_emit, parent, n, s, (uint)signature.Length, &t);
        token = t;
        return hr;
    }

    // IMetaDataEmit slot 23
    public int GetTokenFromSig(ReadOnlySpan<byte> signature, out int token)
    {
        int t = 0;
        int hr;
        fixed (byte* s = signature)
            hr = ((delegate* unmanaged<nint, byte*, uint, int*, int>)ComPtr.Slot(_emit, 23))(_emit, s, (uint)signature.Length, &t);
        token = t;
        return hr;
    }

    // IMetaDataEmit slot 26
    public int GetTokenFromTypeSpec(ReadOnlySpan<byte> signature, out int token)
    {
        int t = 0;
        int hr;
        fixed (byte* s = signature)
            hr = ((delegate* unmanaged<nint, byte*, uint, int*, int>)ComPtr.Slot(_emit, 26))(_emit, s, (uint)signature.Length, &t);
        token = t;
        return hr;
    }

    // IMetaDataEmit2 slot 52: the first method after IMetaDataEmit's 52 slots (IUnknown + 49).
    public int DefineMethodSpec(int parent, ReadOnlySpan<byte> instantiation, out int token)
    {
        int t = 0;
        int hr;
        fixed (byte* s = instantiation)
            hr = ((delegate* unmanaged<nint, int, byte*, uint, int*, int>)ComPtr.Slot(_emit, 52))(_emit, parent, s, (uint)instantiation.Length, &t);
        token = t;
        return hr;
    }

    // IMetaDataImport slot 30
    public int GetMethodProps(int method, out int declaringType, out byte[] signature)
    {
        int type = 0;
        uint attributes = 0, sigLength = 0, rva = 0, implFlags = 0, nameLength = 0;
        byte* sig = null;
        int hr = ((delegate* unmanaged<nint, int, int*, char*, uint, uint*, uint*, byte**, uint*, uint*, uint*, int>)ComPtr.Slot(_import, 30))(
            _import, method, &type, null, 0, &nameLength, &attributes, &sig, &sigLength, &rva, &implFlags);
        declaringType = type;
        signature = HResults.Failed(hr) || sig == null ? [] : new ReadOnlySpan<byte>(sig, (int)sigLength).ToArray();
        return hr;
    }

    // IMetaDataImport slot 31
    public int GetMemberRefProps(int memberRef, out int parent, out byte[] signature)
    {
        int p = 0;
        uint nameLength = 0, sigLength = 0;
        byte* sig = null;
        int hr = ((delegate* unmanaged<nint, int, int*, char*, uint, uint*, byte**, uint*, int>)ComPtr.Slot(_import, 31))(
            _import, memberRef, &p, null, 0, &nameLength, &sig, &sigLength);
        parent = p;
        signature = HResults.Failed(hr) || sig == null ? [] : new ReadOnlySpan<byte>(sig, (int)sigLength).ToArray();
        return hr;
    }

    // IMetaDataImport2 slot 67 (after IMetaDataImport's 65 slots: EnumGenericParams, GetGenericParamProps, GetMethodSpecProps)
    public int GetMethodSpecProps(int methodSpec, out int parent)
    {
        parent = 0;
        int hr = ComPtr.QueryInterface(_import, Guids.IMetaDataImport2, out nint import2);
        if (HResults.Failed(hr))
            return hr;
        try
        {
            int p = 0;
            byte* sig = null;
            uint sigLength = 0;
            hr = ((delegate* unmanaged<nint, int, int*, byte**, uint*, int>)ComPtr.Slot(import2, 67))(import2, methodSpec, &p, &sig, &sigLength);
            parent = p;
            return hr;
        }
        finally
        {
            ComPtr.Release(import2);
        }
    }

    // IMetaDataImport slot 41
    public int GetSigFromToken(int token, out byte[] signature)
    {
        byte* sig = null;
        uint length = 0;
        int hr = ((delegate* unmanaged<nint, int, byte**, uint*, int>)ComPtr.Slot(_import, 41))(_import, token, &sig, &length);
        signature = HResults.Failed(hr) || sig == null ? [] : new ReadOnlySpan<byte>(sig, (int)length).ToArray();
        return hr;
    }

    public void Dispose()
    {
        if (_emit != 0)
            ComPtr.Release(_emit);
        if (_assemblyEmit != 0)
            ComPtr.Release(_assemblyEmit);
        if (_import != 0)
            ComPtr.Release(_import);
        _emit = _assemblyEmit = _import = 0;
    }
}
