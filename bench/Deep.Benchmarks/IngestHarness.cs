using System.Diagnostics;
using System.Globalization;
using Deep.Protocol;
using Deep.Protocol.Grpc;
using Deep.Server;

namespace Deep.Benchmarks;

/// <summary>
/// Snapshot ingest through the real server, sent by the agent's own gRPC client: <c>count</c> ~10 KB snapshots from
/// <c>senders</c> concurrent senders, <c>rounds</c> times. Prints per round the snapshots per second (wall clock), the
/// process CPU per snapshot (client and server together: steadier than wall time on a loaded machine) and the send
/// latency p50/p99. Run: <c>dotnet bench/Deep.Benchmarks/bin/Release/net10.0/Deep.Benchmarks.dll ingest 2000 16 2</c>.
/// </summary>
internal static class IngestHarness
{
    public static async Task RunAsync(int count, int senders, int rounds)
    {
        var dir = Path.Combine(Path.GetTempPath(), "deep-ingest", Guid.NewGuid().ToString("N"));
        await using (var server = await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = dir }))
        using (var client = new GrpcClient(server.GrpcAddress))
        {
            var sender = new SnapshotServiceClient(client);
            for (var warm = 0; warm < 200; warm++) await sender.SendAsync(Typical());
            for (var round = 0; round < rounds; round++)
            {
                var latencies = new double[count];
                var next = -1;
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var wall = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < count)
                    {
                        var snapshot = Typical();
                        var start = Stopwatch.GetTimestamp();
                        await sender.SendAsync(snapshot);
                        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    }
                }));
                wall.Stop();
                var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                // Allocation per snapshot does not depend on the machine's load, unlike CPU and wall time.
                var bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / count;
                Array.Sort(latencies);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: {count / wall.Elapsed.TotalSeconds:0} snapshots/s wall, {used.TotalMicroseconds / count:0.0} us CPU/snapshot, {bytes / 1024.0:0.0} KB allocated/snapshot, latency p50 {latencies[count / 2]:0.00} ms p99 {latencies[count * 99 / 100]:0.00} ms"));
            }
        }
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    /// <summary>A frame with 60 string variables, 9 frames, the tracepoint and a resource: about 10 KB.</summary>
    private static Snapshot Typical()
    {
        var s = new Snapshot { ID = Guid.NewGuid().ToByteArray(), TsNanos = 1, DurationNanos = 2, LogMsg = "hit" };
        s.Tracepoint = new TracePointConfig { ID = "tp", Path = "Shop/Orders.cs", LineNumber = 42 };
        for (var f = 0; f < 9; f++)
            s.Frames.Add(new Deep.Protocol.StackFrame { FileName = "/src/Shop/Orders.cs", MethodName = "Method" + f, LineNumber = (uint)(40 + f), ClassName = "Shop.Orders" });
        for (var v = 0; v < 60; v++)
        {
            var id = v.ToString(CultureInfo.InvariantCulture);
            s.VarLookup[id] = new Variable { Type = "System.String", Value = new string('x', 100), Hash = "h" + id };
            s.Frames[0].Variables.Add(new VariableID { ID = id, Name = "local" + id });
        }
        s.Resource.Add(new KeyValue("service.name", "shop"));
        return s;
    }
}
