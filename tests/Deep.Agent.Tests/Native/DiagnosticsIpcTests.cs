using System.Net.Sockets;
using Deep.Agent.Native;

namespace Deep.Agent.Tests.Native;

// The AttachProfiler message against bytes written by hand from the diagnostics IPC spec, responses decoded from
// hand-written bytes, and the client's socket exchange against a listener standing in for the runtime.
public sealed class DiagnosticsIpcTests
{
    private static readonly Guid Clsid = Guid.Parse("8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57");

    private static readonly byte[] ExpectedAttach =
    [
        // header: "DOTNET_IPC_V1\0", size 64, command set 3 (Profiler), command 1 (AttachProfiler), reserved 0
        0x44, 0x4F, 0x54, 0x4E, 0x45, 0x54, 0x5F, 0x49, 0x50, 0x43, 0x5F, 0x56, 0x31, 0x00,
        0x40, 0x00, 0x03, 0x01, 0x00, 0x00,
        // attach timeout 5000 ms
        0x88, 0x13, 0x00, 0x00,
        // CLSID {8C2A3D6E-5B1F-4E7A-9C3D-2F6B8E1A4D57}: Data1..3 little-endian, Data4 as is
        0x6E, 0x3D, 0x2A, 0x8C, 0x1F, 0x5B, 0x7A, 0x4E, 0x9C, 0x3D, 0x2F, 0x6B, 0x8E, 0x1A, 0x4D, 0x57,
        // profiler path: 6 UTF-16 units including the NUL, "/p.so\0"
        0x06, 0x00, 0x00, 0x00, 0x2F, 0x00, 0x70, 0x00, 0x2E, 0x00, 0x73, 0x00, 0x6F, 0x00, 0x00, 0x00,
        // client data: 4 bytes "a=b\n"
        0x04, 0x00, 0x00, 0x00, 0x61, 0x3D, 0x62, 0x0A,
    ];

    [Fact]
    public void The_attach_profiler_message_is_the_header_timeout_clsid_path_and_client_data_of_the_spec()
    {
        var message = DiagnosticsIpc.EncodeAttachProfiler(5000, Clsid, "/p.so", "a=b\n"u8);

        Assert.Equal(ExpectedAttach, message);
    }

    [Fact]
    public void An_ok_response_carries_the_hresult_and_an_error_response_the_failure()
    {
        byte[] ok = [.. "DOTNET_IPC_V1\0"u8, 0x18, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        byte[] error = [.. "DOTNET_IPC_V1\0"u8, 0x18, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x6A, 0x13, 0x13, 0x80];

        Assert.True(DiagnosticsIpc.TryDecodeResponse(ok, out var decodedOk));
        Assert.Equal(new IpcResponse(true, 0), decodedOk);
        Assert.True(DiagnosticsIpc.TryDecodeResponse(error, out var decodedError));
        Assert.Equal(new IpcResponse(false, unchecked((int)0x8013136A)), decodedError);
    }

    [Fact]
    public void Bytes_that_are_not_a_response_are_not_decoded()
    {
        byte[] wrongMagic = [.. "DOTNET_IPC_V2\0"u8, 0x18, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        byte[] notServerSet = [.. "DOTNET_IPC_V1\0"u8, 0x18, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        byte[] shortRead = [.. "DOTNET_IPC_V1\0"u8, 0x18, 0x00, 0xFF, 0x00];

        Assert.False(DiagnosticsIpc.TryDecodeResponse(wrongMagic, out _));
        Assert.False(DiagnosticsIpc.TryDecodeResponse(notServerSet, out _));
        Assert.False(DiagnosticsIpc.TryDecodeResponse(shortRead, out _));
    }

    [Theory]
    [InlineData(false, 0x8013136A, "AlreadyActive")]
    [InlineData(false, 0x80004005, "Refused")]
    [InlineData(true, 0, "Attached")]
    public async Task The_client_sends_the_message_and_reads_the_runtimes_answer(bool ok, uint hresult, string outcome)
    {
        var expected = Enum.Parse<AttachOutcome>(outcome);
        var path = Path.Combine(Path.GetTempPath(), $"deep-ipc-test-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        try
        {
            var server = Task.Run(() =>
            {
                using var connection = listener.Accept();
                var received = new byte[ExpectedAttach.Length];
                int read = 0;
                while (read < received.Length)
                {
                    read += connection.Receive(received, read, received.Length - read, SocketFlags.None);
                }
                var answer = new byte[24];
                DiagnosticsIpc.WriteHeader(answer, 24, 0xFF, ok ? (byte)0x00 : (byte)0xFF);
                BitConverter.TryWriteBytes(answer.AsSpan(20), hresult);
                connection.Send(answer);
                return received;
            });

            var result = DiagnosticsIpc.AttachProfiler(path, Clsid, "/p.so", "a=b\n"u8, TimeSpan.FromMilliseconds(5000));

            Assert.Equal(ExpectedAttach, await server);
            Assert.Equal(expected, result.Outcome);
            Assert.Equal(unchecked((int)hresult), result.HResult);
            Assert.Equal(ok, result.Message is null);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_socket_nobody_listens_on_is_reported_as_no_runtime()
    {
        var path = Path.Combine(Path.GetTempPath(), $"deep-ipc-test-{Guid.NewGuid():N}.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            stale.Bind(new UnixDomainSocketEndPoint(path)); // bound, never listening: what a dead process leaves
        }
        try
        {
            var result = DiagnosticsIpc.AttachProfiler(path, Clsid, "/p.so", [], TimeSpan.FromSeconds(1));

            Assert.Equal(AttachOutcome.NoRuntime, result.Outcome);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_socket_of_a_process_is_found_by_its_pid_in_the_temp_directory()
    {
        var dir = Directory.CreateTempSubdirectory("deep-ipc-find-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "dotnet-diagnostic-4242-123456-socket"), "");
            File.WriteAllText(Path.Combine(dir, "dotnet-diagnostic-42420-1-socket"), "");

            Assert.Equal(Path.Combine(dir, "dotnet-diagnostic-4242-123456-socket"), DiagnosticsIpc.FindSocket(4242, dir));
            Assert.Null(DiagnosticsIpc.FindSocket(4243, dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
