using System.Text.Json;
using Deep.Protocol.Grpc;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;

namespace Deep.Server.Tests.Api;

public sealed class SnapshotApiTests
{
    [Fact]
    public async Task A_snapshot_is_served_as_protobuf_json_by_hex_id()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot();
        await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot);
        var hex = Convert.ToHexStringLower(snapshot.ID.ToByteArray());
        var (status, body) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/snapshots/" + hex);
        Assert.Equal(200, status);
        Assert.Equal(snapshot.ID.ToBase64(), body.GetProperty("ID").GetString());
        Assert.Equal(snapshot.TsNanos.ToString(System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("tsNanos").GetString());
        Assert.Equal("Shop.Order", body.GetProperty("varLookup").GetProperty("1").GetProperty("type").GetString());
        Assert.Equal("total 3", body.GetProperty("logMsg").GetString());
        // And it is the snapshot that was sent, field for field.
        Assert.Equal(snapshot, JsonParser.Default.Parse<Snapshot>(body.GetRawText()));
    }

    [Fact]
    public async Task A_snapshot_is_served_as_binary_protobuf_when_asked()
    {
        await using var s = await RunningServer.StartAsync();
        var snapshot = Samples.Snapshot();
        await s.Grpc.CallAsync(DeepMethods.SendSnapshot, snapshot);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/snapshots/" + Convert.ToHexString(snapshot.ID.ToByteArray()));
        request.Headers.Accept.ParseAdd("application/protobuf");
        using var response = await s.Http.SendAsync(request);
        Assert.Equal(snapshot.ToByteArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Unknown_and_malformed_snapshot_ids_are_404_and_400()
    {
        await using var s = await RunningServer.StartAsync();
        var (missing, _) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/snapshots/" + new string('0', 32));
        var (bad, error) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/snapshots/xyz");
        Assert.Equal(404, missing);
        Assert.Equal(400, bad);
        Assert.Contains("hex", error.ErrorText());
    }

    [Fact]
    public async Task Snapshots_are_listed_by_tracepoint_newest_first()
    {
        await using var s = await RunningServer.StartAsync();
        var old = Samples.Snapshot("tp-a", ts: 1_000);
        var mid = Samples.Snapshot("tp-b", ts: 2_000);
        var latest = Samples.Snapshot("tp-a", ts: 3_000);
        foreach (var x in new[] { old, mid, latest }) await s.Grpc.CallAsync(DeepMethods.SendSnapshot, x);

        var (_, a) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/snapshots?tracepoint=tp-a");
        Assert.Equal([latest.ID.ToBase64(), old.ID.ToBase64()], a.GetProperty("snapshots").EnumerateArray().Select(x => x.GetProperty("ID").GetString()));
        var (_, one) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/snapshots?limit=1");
        Assert.Equal(latest.ID.ToBase64(), one.GetProperty("snapshots")[0].GetProperty("ID").GetString());
        Assert.Equal(1, one.GetProperty("snapshots").GetArrayLength());
        var (status, _) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/snapshots?limit=zero");
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Search_filters_by_service_name_tag_and_time_and_answers_deep_summaries()
    {
        await using var s = await RunningServer.StartAsync();
        var t0 = 1_700_000_000L;
        var early = Samples.Snapshot(service: "shop", ts: (ulong)(t0 * 1_000_000_000));
        var late = Samples.Snapshot(service: "shop", ts: (ulong)((t0 + 100) * 1_000_000_000));
        var other = Samples.Snapshot(service: "billing", ts: (ulong)((t0 + 100) * 1_000_000_000));
        foreach (var x in new[] { early, late, other }) await s.Grpc.CallAsync(DeepMethods.SendSnapshot, x);

        var tags = Uri.EscapeDataString("service.name=\"shop\"");
        var (status, body) = await s.Http.SendJsonAsync(HttpMethod.Get, $"/api/search?tags={tags}&start={t0 + 50}&end={t0 + 200}");
        Assert.Equal(200, status);
        var rows = body.GetProperty("snapshots").EnumerateArray().ToList();
        var row = Assert.Single(rows);
        Assert.Equal(Convert.ToHexStringLower(late.ID.ToByteArray()), row.GetProperty("snapshotID").GetString());
        Assert.Equal("shop", row.GetProperty("serviceName").GetString());
        Assert.Equal("OrderService.cs", row.GetProperty("filePath").GetString());
        Assert.Equal(42, row.GetProperty("lineNo").GetInt32());
        Assert.Equal(late.TsNanos.ToString(System.Globalization.CultureInfo.InvariantCulture), row.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal("1234", row.GetProperty("durationNano").GetString());

        var (_, byAttribute) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/search?tags=" + Uri.EscapeDataString("env=test service.name=billing"));
        Assert.Equal(Convert.ToHexStringLower(other.ID.ToByteArray()), Assert.Single(byAttribute.GetProperty("snapshots").EnumerateArray()).GetProperty("snapshotID").GetString());
        var (limited, limitedBody) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/search?limit=2");
        Assert.Equal(2, limitedBody.GetProperty("snapshots").GetArrayLength());
        var (badTags, error) = await s.Http.SendJsonAsync(HttpMethod.Get, "/api/search?tags=" + Uri.EscapeDataString("service.name=\"shop"));
        Assert.Equal(400, badTags);
        Assert.Contains("closing quote", error.ErrorText());
    }
}
