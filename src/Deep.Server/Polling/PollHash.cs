using System.Globalization;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Polling;

/// <summary>
/// The DEEP server's <c>current_hash</c>: FNV-1 (multiply, then xor) 32-bit over the UTF-8 bytes of the tracepoint IDs
/// concatenated in creation order, as a decimal string. Agents treat it as opaque, but the Python and Java agents
/// compare it with what they last saw, so it must match the DEEP server's for the same list.
/// </summary>
internal static class PollHash
{
    /// <summary>The FNV-1 32-bit offset basis: the hash of an empty list.</summary>
    public const uint OffsetBasis = 2166136261;

    private const uint Prime = 16777619;

    public static string Compute(IEnumerable<TracePointConfig> tracepoints)
    {
        var hash = OffsetBasis;
        Span<byte> buffer = stackalloc byte[256];
        foreach (var tp in tracepoints)
        {
            var id = tp.ID;
            var max = System.Text.Encoding.UTF8.GetMaxByteCount(id.Length);
            var bytes = max <= buffer.Length ? buffer : new byte[max];
            var n = System.Text.Encoding.UTF8.GetBytes(id, bytes);
            foreach (var b in bytes[..n])
            {
                hash *= Prime;
                hash ^= b;
            }
        }
        return hash.ToString(CultureInfo.InvariantCulture);
    }
}
