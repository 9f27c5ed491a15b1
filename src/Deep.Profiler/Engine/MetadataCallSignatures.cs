using Deep.Profiler.Com;
using Deep.Profiler.Rewriting;

namespace Deep.Profiler.Engine;

/// <summary>Call-site signatures read from a module's metadata (to follow the evaluation stack of a line to wrap).</summary>
internal sealed class MetadataCallSignatures(ModuleMetadata metadata) : ICallSignatures
{
    private readonly Dictionary<int, byte[]?> _cache = [];

    public byte[]? SignatureOf(int token)
    {
        if (_cache.TryGetValue(token, out var known))
            return known;
        byte[]? sig = null;
        switch ((uint)token >> 24)
        {
            case 0x06: // MethodDef
                if (HResults.Succeeded(metadata.GetMethodProps(token, out _, out var def)))
                    sig = def;
                break;
            case 0x0A: // MemberRef
                if (HResults.Succeeded(metadata.GetMemberRefProps(token, out _, out var member)))
                    sig = member;
                break;
            case 0x2B: // MethodSpec: the instantiated method's signature has the same arity
                if (HResults.Succeeded(metadata.GetMethodSpecProps(token, out int parent)) && (uint)parent >> 24 is 0x06 or 0x0A)
                    sig = SignatureOf(parent);
                break;
            case 0x11: // StandAloneSig (calli)
                if (HResults.Succeeded(metadata.GetSigFromToken(token, out var standalone)))
                    sig = standalone;
                break;
        }
        _cache[token] = sig is { Length: > 0 } ? sig : null;
        return _cache[token];
    }
}
