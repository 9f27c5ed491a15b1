namespace Deep.Profiler.Com;

/// <summary>Interface and class IDs, from the runtime's public headers (corprof.idl, cor.h) and COM.</summary>
internal static class Guids
{
    /// <summary>The profiler's CLSID: what <c>CORECLR_PROFILER</c> must be set to (the probe ABI's, shared with the agent).</summary>
    public static readonly Guid ProfilerClsid = new(Deep.Abi.ProbeAbi.ProfilerClsid);

    public static readonly Guid IUnknown = new("00000000-0000-0000-C000-000000000046");
    public static readonly Guid IClassFactory = new("00000001-0000-0000-C000-000000000046");

    public static readonly Guid ICorProfilerCallback = new("176FBED1-A55C-4796-98CA-A9DA0EF883E7");
    public static readonly Guid ICorProfilerCallback2 = new("8A8CC829-CCF2-49FE-BBAE-0F022228071A");
    public static readonly Guid ICorProfilerCallback3 = new("4FD2ED52-7731-4B8D-9469-03D2CC3086C5");
    public static readonly Guid ICorProfilerCallback4 = new("7B63B2E3-107D-4D48-B2F6-F61E229470D2");
    public static readonly Guid ICorProfilerCallback5 = new("8DFBA405-8C9F-45F8-BFFA-83B14CEF78B5");
    public static readonly Guid ICorProfilerCallback6 = new("FC13DF4B-4448-4F4F-950C-BA8D19D00C36");
    public static readonly Guid ICorProfilerCallback7 = new("F76A2DBA-1D52-4539-866C-2AA518F9EFC3");
    public static readonly Guid ICorProfilerCallback8 = new("5BED9B15-C079-4D47-BFE2-215A140C07E0");
    public static readonly Guid ICorProfilerCallback9 = new("27583EC3-C8F5-482F-8052-194B8CE4705A");
    public static readonly Guid ICorProfilerCallback10 = new("CEC5B60E-C69C-495F-87F6-84D28EE16FFB");
    public static readonly Guid ICorProfilerCallback11 = new("42350846-AAED-47F7-B128-FD0C98881CDE");

    public static readonly Guid ICorProfilerInfo10 = new("2F1B5152-C869-40C9-AA5F-3ABE026BD720");

    public static readonly Guid IMetaDataImport = new("7DAC8207-D3AE-4C75-9B67-92801A497D44");
    public static readonly Guid IMetaDataImport2 = new("FCE5EFA0-8BBA-4F8E-A036-8F2022B08466");
    public static readonly Guid IMetaDataEmit2 = new("F5DD9950-F693-42E6-830E-7B833E8146A9");
    public static readonly Guid IMetaDataAssemblyEmit = new("211EF15B-5317-4438-B196-DEC87B887693");

    /// <summary>True for IUnknown and every ICorProfilerCallback version we implement.</summary>
    public static bool IsCallbackInterface(in Guid iid) =>
        iid == IUnknown || iid == ICorProfilerCallback || iid == ICorProfilerCallback2 || iid == ICorProfilerCallback3
        || iid == ICorProfilerCallback4 || iid == ICorProfilerCallback5 || iid == ICorProfilerCallback6
        || iid == ICorProfilerCallback7 || iid == ICorProfilerCallback8 || iid == ICorProfilerCallback9
        || iid == ICorProfilerCallback10 || iid == ICorProfilerCallback11;
}

/// <summary>HRESULTs the profiler returns or checks.</summary>
internal static class HResults
{
    public const int S_OK = 0;
    public const int S_FALSE = 1;
    public const int E_FAIL = unchecked((int)0x80004005);
    public const int E_NOINTERFACE = unchecked((int)0x80004002);
    public const int E_POINTER = unchecked((int)0x80004003);
    public const int E_INVALIDARG = unchecked((int)0x80070057);
    public const int E_TIMEOUT = unchecked((int)0x800705B4);
    public const int CLASS_E_CLASSNOTAVAILABLE = unchecked((int)0x80040111);
    public const int CLASS_E_NOAGGREGATION = unchecked((int)0x80040110);
    public const int CORPROF_E_UNSUPPORTED_CALL_SEQUENCE = unchecked((int)0x80131363);
    /// <summary>Ours (customer bit set): the runtime's version is outside what the profiler supports.</summary>
    public const int DEEP_E_UNSUPPORTED_RUNTIME = unchecked((int)0xA0DE0001);

    public static bool Failed(int hr) => hr < 0;

    public static bool Succeeded(int hr) => hr >= 0;
}
