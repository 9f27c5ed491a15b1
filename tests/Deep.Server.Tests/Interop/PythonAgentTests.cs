using System.Diagnostics;
using Deep.Server.Tests.Hosting;

namespace Deep.Server.Tests.Interop;

/// <summary>A Python grpcio client (stubs generated from our proto/) acts as a DEEP agent against the real server process.</summary>
public sealed class PythonAgentTests
{
    private static readonly string[] ProtoFiles =
    [
        "deepproto/proto/common/v1/common.proto",
        "deepproto/proto/resource/v1/resource.proto",
        "deepproto/proto/poll/v1/poll.proto",
        "deepproto/proto/tracepoint/v1/tracepoint.proto",
    ];

    [Fact]
    public async Task A_python_grpcio_agent_polls_long_polls_sends_and_is_rejected_as_the_deep_server_would()
    {
        var stubs = TempDir.Create();
        var protoRoot = FindProtoRoot();
        var protoc = Run("protoc", ["-I", protoRoot, "--python_out=" + stubs, "--grpc_python_out=" + stubs,
            "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", .. ProtoFiles]);
        Assert.True(protoc.Code == 0, "protoc failed (needs protobuf-compiler and protobuf-compiler-grpc): " + protoc.Output);

        using var server = await ServerProcess.StartAsync(TempDir.Create());
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "python", "deep_agent.py");
        var result = await Task.Run(() => Run("/usr/bin/python3",
            [script, stubs, $"{server.GrpcAddress.Host}:{server.GrpcAddress.Port}", server.HttpAddress.ToString()]));
        Assert.True(result.Code == 0 && result.Output.Contains("ALL OK"), result.Output + "\nserver:\n" + server.Output);
    }

    private static string FindProtoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "proto", "deepproto");
            if (Directory.Exists(candidate)) return Path.Combine(dir.FullName, "proto");
        }
        throw new InvalidOperationException("proto/ not found above " + AppContext.BaseDirectory);
    }

    private static (int Code, string Output) Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "timed out: " + file);
        return (p.ExitCode, stdout + stderr.Result);
    }
}
