using System.Diagnostics;
using Deep.Protocol.Grpc;
using Deepproto.Proto.Poll.V1;

namespace Deep.Server.Tests.Grpc;

public sealed class PollTests
{
    [Fact]
    public async Task First_poll_on_an_empty_server_gets_the_empty_hash()
    {
        await using var s = await RunningServer.StartAsync();
        var response = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        Assert.Equal("2166136261", response.CurrentHash);
        Assert.Equal(ResponseType.Update, response.ResponseType);
        Assert.Empty(response.Response);
    }

    [Fact]
    public async Task Poll_returns_tracepoints_in_creation_order_with_the_fnv1_hash_of_their_ids()
    {
        await using var s = await RunningServer.StartAsync();
        var a = await s.Http.CreateTracepointAsync(Samples.TracepointJson(line: 1));
        var b = await s.Http.CreateTracepointAsync(Samples.TracepointJson(line: 2));
        var response = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        Assert.Equal([a, b], response.Response.Select(t => t.ID));
        Assert.Equal(Fnv1(a + b), response.CurrentHash);
    }

    [Fact]
    public async Task Poll_with_the_current_hash_answers_no_change()
    {
        await using var s = await RunningServer.StartAsync();
        await s.Http.CreateTracepointAsync(Samples.TracepointJson());
        var first = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        var second = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(first.CurrentHash))).Parse(PollResponse.Parser);
        Assert.Equal(ResponseType.NoChange, second.ResponseType);
        Assert.Equal(first.CurrentHash, second.CurrentHash);
    }

    [Fact]
    public async Task Targeted_tracepoints_reach_only_clients_whose_resource_matches_exactly()
    {
        await using var s = await RunningServer.StartAsync();
        var all = await s.Http.CreateTracepointAsync(Samples.TracepointJson(line: 1));
        var shop = await s.Http.CreateTracepointAsync(Samples.TracepointJson(line: 2,
            extra: ",\"targeting\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"shop\"}}]"));

        var shopClient = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(null, ("service.name", "shop"), ("host", "h1")))).Parse(PollResponse.Parser);
        var otherClient = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(null, ("service.name", "Shop")))).Parse(PollResponse.Parser);
        var noResource = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);

        Assert.Equal([all, shop], shopClient.Response.Select(t => t.ID));
        Assert.Equal([all], otherClient.Response.Select(t => t.ID));
        Assert.Equal(Fnv1(all), otherClient.CurrentHash);
        Assert.Equal([all, shop], noResource.Response.Select(t => t.ID));
    }

    [Fact]
    public async Task A_long_poll_is_woken_by_a_new_tracepoint_long_before_its_time_passes()
    {
        await using var s = await RunningServer.StartAsync();
        var first = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        var watch = Stopwatch.StartNew();
        var waiting = s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(first.CurrentHash), ("deep-long-poll", "30"));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "the long poll answered before anything changed");
        var created = Stopwatch.StartNew();
        var id = await s.Http.CreateTracepointAsync(Samples.TracepointJson());
        var response = (await waiting).Parse(PollResponse.Parser);
        Assert.Equal(ResponseType.Update, response.ResponseType);
        Assert.Equal([id], response.Response.Select(t => t.ID));
        // Woken by the change, not answered at the end of its 30 s (how fast it wakes is a benchmark:
        // docs/benchmarks.md, LongPollWakeUp; a timed bound here would only make a loaded machine fail the test).
        Assert.True(created.Elapsed < TimeSpan.FromSeconds(15), $"woken after {created.Elapsed}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_long_poll_answers_no_change_when_its_time_passes()
    {
        await using var s = await RunningServer.StartAsync();
        var first = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        var watch = Stopwatch.StartNew();
        var response = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(first.CurrentHash), ("deep-long-poll", "1"))).Parse(PollResponse.Parser);
        Assert.Equal(ResponseType.NoChange, response.ResponseType);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task A_long_poll_answers_before_the_grpc_timeout()
    {
        await using var s = await RunningServer.StartAsync();
        var first = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        var watch = Stopwatch.StartNew();
        var result = await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(first.CurrentHash), ("deep-long-poll", "60"), ("grpc-timeout", "1500m"));
        Assert.Equal(ResponseType.NoChange, result.Parse(PollResponse.Parser).ResponseType);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"held for {watch.Elapsed}");
    }

    [Fact]
    public async Task A_long_poll_is_not_woken_by_a_tracepoint_targeted_at_someone_else()
    {
        await using var s = await RunningServer.StartAsync();
        var first = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(null, ("service.name", "shop")))).Parse(PollResponse.Parser);
        // 5 s: long enough that a slow machine still asks the question before the poll's own time passes.
        var waiting = s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(first.CurrentHash, ("service.name", "shop")), ("deep-long-poll", "5"));
        await s.Http.CreateTracepointAsync(Samples.TracepointJson(extra: ",\"targeting\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"billing\"}}]"));
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(ResponseType.NoChange, (await waiting).Parse(PollResponse.Parser).ResponseType);
    }

    [Fact]
    public async Task Without_the_long_poll_header_a_current_client_gets_an_immediate_answer()
    {
        await using var s = await RunningServer.StartAsync();
        var first = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        var watch = Stopwatch.StartNew();
        var second = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(first.CurrentHash))).Parse(PollResponse.Parser);
        Assert.Equal(ResponseType.NoChange, second.ResponseType);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_malformed_long_poll_header_is_invalid_argument()
    {
        await using var s = await RunningServer.StartAsync();
        var result = await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll("1"), ("deep-long-poll", "soon"));
        Assert.Equal(GrpcStatusCode.InvalidArgument, result.Status);
        Assert.Contains("deep-long-poll", result.Message);
    }

    [Fact]
    public async Task Stopping_the_server_releases_waiting_long_polls()
    {
        var s = await RunningServer.StartAsync();
        var first = (await s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll())).Parse(PollResponse.Parser);
        var waiting = s.Grpc.CallAsync(DeepMethods.Poll, Samples.Poll(first.CurrentHash), ("deep-long-poll", "120"));
        await Task.Delay(200);
        var watch = Stopwatch.StartNew();
        await s.Server.DisposeAsync();
        Assert.Equal(ResponseType.NoChange, (await waiting).Parse(PollResponse.Parser).ResponseType);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"stop took {watch.Elapsed}");
        await s.DisposeAsync();
    }

    /// <summary>FNV-1 32-bit, written here from the definition (multiply by the prime, then xor each byte).</summary>
    internal static string Fnv1(string text)
    {
        uint h = 2166136261;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            h = unchecked(h * 16777619);
            h ^= b;
        }
        return h.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
