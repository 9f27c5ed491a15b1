using Deep.Cli.Common;
using Deep.Server;
using Deepproto.Proto.Common.V1;
using Deepproto.Proto.Tracepoint.V1;
using Google.Protobuf;

namespace Deep.Cli.Tests;

/// <summary>A real server on free ports, and the real `deep` command line run against it in-process.</summary>
internal sealed class CliHarness : IAsyncDisposable
{
    private CliHarness(DeepServer server) => Server = server;

    public DeepServer Server { get; }

    public string ServerUrl => Server.HttpAddress.ToString();

    public static async Task<CliHarness> StartAsync(string? apiKey = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "deep-cli-tests", Guid.NewGuid().ToString("N"));
        return new CliHarness(await DeepServer.StartAsync(new DeepServerOptions { GrpcPort = 0, HttpPort = 0, DataDirectory = dir, ApiKey = apiKey }));
    }

    /// <summary>Runs `deep args... --server url` and returns the exit code and what it printed.</summary>
    public async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var console = new BufferedConsole();
        var code = await Program.RunAsync([.. args, "--server", ServerUrl], console, CancellationToken.None);
        return (code, console.OutText, console.ErrorText);
    }

    /// <summary>Sends a snapshot the way an agent does (gRPC, h2c), so the CLI has something to read.</summary>
    public async Task<Snapshot> SendSnapshotAsync(string tracepointId, ulong ts, Action<Snapshot>? shape = null)
    {
        var s = new Snapshot
        {
            ID = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()),
            TsNanos = ts,
            Tracepoint = new TracePointConfig { ID = tracepointId, Path = "OrderService.cs", LineNumber = 42 },
        };
        s.Resource.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "shop" } });
        s.Attributes.Add(new KeyValue { Key = "thread", Value = new AnyValue { StringValue = "main" } });
        var frame = new StackFrame { FileName = "/src/OrderService.cs", MethodName = "Place", ClassName = "Shop.OrderService", LineNumber = 42 };
        frame.Variables.Add(new VariableID { ID = "1", Name = "order" });
        s.Frames.Add(frame);
        s.Frames.Add(new StackFrame { FileName = "/src/Program.cs", MethodName = "Main", ClassName = "Shop.Program", LineNumber = 7 });
        var order = new Variable { Type = "Shop.Order", Value = "Shop.Order" };
        order.Children.Add(new VariableID { ID = "2", Name = "Customer" });
        order.Children.Add(new VariableID { ID = "1", Name = "Self" });
        s.VarLookup["1"] = order;
        var customer = new Variable { Type = "Shop.Customer", Value = "Shop.Customer" };
        customer.Children.Add(new VariableID { ID = "3", Name = "Name" });
        s.VarLookup["2"] = customer;
        s.VarLookup["3"] = new Variable { Type = "string", Value = "Ada" };
        s.Watches.Add(new WatchResult { Expression = "order.Customer.Name", GoodResult = new VariableID { ID = "3", Name = "x" } });
        s.Watches.Add(new WatchResult { Expression = "order.Missing", ErrorResult = "no member Missing" });
        shape?.Invoke(s);

        using var http = new HttpClient { BaseAddress = Server.GrpcAddress, DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        var content = new ByteArrayContent(Deep.Protocol.Grpc.GrpcFraming.Frame(s.ToByteArray()));
        content.Headers.ContentType = new("application/grpc");
        using var response = await http.PostAsync(Deep.Protocol.Grpc.DeepMethods.SendSnapshot, content);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        return s;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
