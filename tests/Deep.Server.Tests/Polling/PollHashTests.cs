using Deep.Server.Polling;
using Deepproto.Proto.Tracepoint.V1;

namespace Deep.Server.Tests.Polling;

public sealed class PollHashTests
{
    [Fact]
    public void An_empty_list_hashes_to_the_fnv1_offset_basis() => Assert.Equal("2166136261", PollHash.Compute([]));

    [Fact]
    public void The_hash_is_fnv1_not_fnv1a()
    {
        // Published FNV-1 32-bit test vector: "a" -> 0x050c5d7e (FNV-1a would give 0xe40c292c).
        Assert.Equal(0x050c5d7eu.ToString(System.Globalization.CultureInfo.InvariantCulture), PollHash.Compute([new TracePointConfig { ID = "a" }]));
    }

    [Fact]
    public void The_hash_depends_on_order()
    {
        var a = new TracePointConfig { ID = "first" };
        var b = new TracePointConfig { ID = "second" };
        Assert.NotEqual(PollHash.Compute([a, b]), PollHash.Compute([b, a]));
    }
}
