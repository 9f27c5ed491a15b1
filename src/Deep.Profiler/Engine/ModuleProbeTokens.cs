using Deep.Profiler.Com;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Engine;

/// <summary>
/// The probe runtime's tokens minted once in one module's metadata: an AssemblyRef to the agent, a TypeRef to
/// <c>Deep.Agent.Probes.ProbeRuntime</c>, MemberRefs to its methods, and MethodSpecs/TypeSpecs on demand.
/// Worker thread only.
/// </summary>
internal sealed class ModuleProbeTokens : IProbeTokens
{
    public const string ProbeRuntimeType = "Deep.Agent.Probes.ProbeRuntime";

    private static readonly byte[] s_enterSig = [0x00, 0x01, ElementType.Boolean, ElementType.I4];
    private static readonly byte[] s_fireSig = [0x00, 0x01, ElementType.Void, ElementType.I4];
    private static readonly byte[] s_valueObjectSig = [0x00, 0x02, ElementType.Void, ElementType.Object, ElementType.I4];
    private static readonly byte[] s_valueSig = [0x10, 0x01, 0x02, ElementType.Void, ElementType.MVar, 0x00, ElementType.I4];
    private static readonly byte[] s_frameEnterSig = [0x00, 0x00, ElementType.I4];
    private static readonly byte[] s_frameExitSig = [0x00, 0x01, ElementType.Void, ElementType.I4];
    private static readonly byte[] s_spanEndSig = [0x00, 0x02, ElementType.Void, ElementType.I4, ElementType.I4];
    private static readonly byte[] s_timestampSig = [0x00, 0x00, ElementType.I8];
    private static readonly byte[] s_timestampIfSig = [0x00, 0x01, ElementType.I8, ElementType.I4];
    private static readonly byte[] s_elapsedSig = [0x00, 0x01, ElementType.I8, ElementType.I8];

    private readonly ModuleMetadata _metadata;
    private readonly int _value;
    private readonly Dictionary<string, int> _methodSpecs = [];
    private readonly Dictionary<string, int> _typeSpecs = [];
    private readonly Dictionary<string, int> _localSigs = [];
    private readonly int _typeRef;
    private int _frameEnter, _frameExit, _spanEnd, _timestamp, _timestampIf, _elapsed;

    private ModuleProbeTokens(ModuleMetadata metadata, int typeRef, int enter, int fire, int valueObject, int value)
    {
        _metadata = metadata;
        _typeRef = typeRef;
        Enter = enter;
        Fire = fire;
        ValueObject = valueObject;
        _value = value;
    }

    public ModuleMetadata Metadata => _metadata;
    public int Enter { get; }
    public int Fire { get; }
    public int ValueObject { get; }

    /// <summary>Opens the module's metadata and mints the fixed tokens; throws with the failing step.</summary>
    public static ModuleProbeTokens Create(CorProfilerInfo info, nint moduleId, string agentAssembly, Version agentVersion)
    {
        Check(ModuleMetadata.Open(info, moduleId, out var metadata), "GetModuleMetaData(ofRead|ofWrite)");
        try
        {
            Check(metadata!.DefineAssemblyRef(agentAssembly, agentVersion, out int assemblyRef), "DefineAssemblyRef");
            Check(metadata.DefineTypeRefByName(assemblyRef, ProbeRuntimeType, out int typeRef), "DefineTypeRefByName");
            Check(metadata.DefineMemberRef(typeRef, "Enter", s_enterSig, out int enter), "DefineMemberRef(Enter)");
            Check(metadata.DefineMemberRef(typeRef, "Fire", s_fireSig, out int fire), "DefineMemberRef(Fire)");
            Check(metadata.DefineMemberRef(typeRef, "ValueObject", s_valueObjectSig, out int valueObject), "DefineMemberRef(ValueObject)");
            Check(metadata.DefineMemberRef(typeRef, "Value", s_valueSig, out int value), "DefineMemberRef(Value)");
            Log.Write($"module 0x{moduleId:X}: tokens asm=0x{assemblyRef:X8} type=0x{typeRef:X8} enter=0x{enter:X8} fire=0x{fire:X8} valueObject=0x{valueObject:X8} value=0x{value:X8}");
            return new ModuleProbeTokens(metadata, typeRef, enter, fire, valueObject, value);
        }
        catch
        {
            metadata!.Dispose();
            throw;
        }
    }

    // The exit-hook entry points are minted on first use: a module with only line probes never references them.
    public int FrameEnter => Lazy(ref _frameEnter, "FrameEnter", s_frameEnterSig);
    public int FrameExit => Lazy(ref _frameExit, "FrameExit", s_frameExitSig);
    public int SpanEnd => Lazy(ref _spanEnd, "SpanEnd", s_spanEndSig);
    public int Timestamp => Lazy(ref _timestamp, "Timestamp", s_timestampSig);
    public int TimestampIf => Lazy(ref _timestampIf, "TimestampIf", s_timestampIfSig);
    public int ElapsedNanos => Lazy(ref _elapsed, "ElapsedNanos", s_elapsedSig);

    private int Lazy(ref int token, string name, byte[] signature)
    {
        if (token == 0)
        {
            Check(_metadata.DefineMemberRef(_typeRef, name, signature, out int minted), $"DefineMemberRef({name})");
            token = minted;
        }
        return token;
    }

    public int LocalsToken(byte[] signature) => Once(_localSigs, signature, blob =>
    {
        Check(_metadata.GetTokenFromSig(blob, out int token), "GetTokenFromSig(locals)");
        return token;
    });

    public int ValueOf(byte[] typeBlob) => Once(_methodSpecs, typeBlob, blob =>
    {
        var instantiation = new byte[blob.Length + 2];
        instantiation[0] = 0x0A; // IMAGE_CEE_CS_CALLCONV_GENERICINST
        instantiation[1] = 0x01;
        blob.CopyTo(instantiation, 2);
        int hr = _metadata.DefineMethodSpec(_value, instantiation, out int token);
        if (!HResults.Failed(hr)) return token;
        Log.Write($"DefineMethodSpec({Convert.ToHexString(blob)}) failed 0x{hr:X8}: falling back to box + ValueObject");
        return 0;
    });

    public int TypeToken(byte[] typeBlob)
    {
        // A plain class or struct is named by the TypeDef/TypeRef token inside its blob.
        if (typeBlob[0] is ElementType.Class or ElementType.ValueType)
            return SignatureParser.TypeTokenOf(typeBlob);
        return Once(_typeSpecs, typeBlob, blob =>
        {
            Check(_metadata.GetTokenFromTypeSpec(blob, out int token), "GetTokenFromTypeSpec");
            return token;
        });
    }

    /// <summary>The token <paramref name="define"/> makes for <paramref name="blob"/>, made once per module (a failure, thrown, is not kept).</summary>
    private static int Once(Dictionary<string, int> cache, byte[] blob, Func<byte[], int> define)
    {
        string key = Convert.ToHexString(blob);
        if (!cache.TryGetValue(key, out int token))
            cache[key] = token = define(blob);
        return token;
    }

    private static void Check(int hr, string step)
    {
        if (HResults.Failed(hr))
            throw new InvalidOperationException($"{step} failed (0x{hr:X8})");
    }
}
