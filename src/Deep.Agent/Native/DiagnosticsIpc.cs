using System.Buffers.Binary;
using System.Net.Sockets;

namespace Deep.Agent.Native;

/// <summary>
/// A client for the one command of the .NET diagnostics IPC protocol we need: <c>AttachProfiler</c>. The runtime
/// listens on a Unix domain socket <c>$TMPDIR/dotnet-diagnostic-&lt;pid&gt;-&lt;key&gt;-socket</c>; a message is a
/// 20-byte header (magic <c>DOTNET_IPC_V1\0</c>, uint16 total size, uint8 command set, uint8 command id, uint16
/// reserved) and a payload, little-endian. Written here rather than taken from a package because the agent ships
/// into user processes and takes no dependencies; the CLI links this same file.
/// </summary>
internal static class DiagnosticsIpc
{
    /// <summary>The header's magic, NUL included.</summary>
    public static ReadOnlySpan<byte> Magic => "DOTNET_IPC_V1\0"u8;

    public const int HeaderSize = 20;
    public const byte ProfilerCommandSet = 0x03;
    public const byte AttachProfilerCommand = 0x01;
    public const byte ServerCommandSet = 0xFF;
    public const byte ResponseOk = 0x00;
    public const byte ResponseError = 0xFF;

    /// <summary>The runtime refuses a second profiler (one loaded at startup or attached before).</summary>
    public const int CorProfilerAlreadyActive = unchecked((int)0x8013136A);

    /// <summary>
    /// The diagnostics socket of <paramref name="pid"/> in <paramref name="tempDirectory"/> (the target's TMPDIR),
    /// or null when there is none (not a .NET process, diagnostics disabled, or another TMPDIR).
    /// </summary>
    public static string? FindSocket(int pid, string tempDirectory)
    {
        try
        {
            if (!Directory.Exists(tempDirectory))
                return null;
            // The key disambiguates pid reuse (the process start time); the newest file wins if several remain.
            return Directory.EnumerateFiles(tempDirectory, $"dotnet-diagnostic-{pid}-*-socket")
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>The whole <c>AttachProfiler</c> message: header and payload.</summary>
    public static byte[] EncodeAttachProfiler(uint attachTimeoutMs, Guid clsid, string profilerPath, ReadOnlySpan<byte> clientData)
    {
        // payload: uint32 timeout, GUID (16 bytes, the Windows layout Guid.ToByteArray writes), string path,
        // uint32 count + client data bytes. A string is uint32 UTF-16 units including the NUL, then UTF-16LE.
        int pathUnits = profilerPath.Length + 1;
        int size = HeaderSize + 4 + 16 + 4 + pathUnits * 2 + 4 + clientData.Length;
        if (size > ushort.MaxValue)
            throw new ArgumentException($"the AttachProfiler message would be {size} bytes; the protocol allows {ushort.MaxValue}");
        var message = new byte[size];
        var span = message.AsSpan();
        WriteHeader(span, (ushort)size, ProfilerCommandSet, AttachProfilerCommand);
        int at = HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], attachTimeoutMs);
        at += 4;
        clsid.TryWriteBytes(span.Slice(at, 16));
        at += 16;
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)pathUnits);
        at += 4;
        foreach (char c in profilerPath)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], c);
            at += 2;
        }
        at += 2; // the terminating NUL (already zero)
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)clientData.Length);
        at += 4;
        clientData.CopyTo(span[at..]);
        return message;
    }

    /// <summary>Writes the 20-byte header.</summary>
    public static void WriteHeader(Span<byte> destination, ushort totalSize, byte commandSet, byte commandId)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[14..], totalSize);
        destination[16] = commandSet;
        destination[17] = commandId;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[18..], 0);
    }

    /// <summary>Reads a response (header + uint32 HRESULT); false when the bytes are not one.</summary>
    public static bool TryDecodeResponse(ReadOnlySpan<byte> response, out IpcResponse decoded)
    {
        decoded = default;
        if (response.Length < HeaderSize + 4 || !response[..14].SequenceEqual(Magic))
            return false;
        ushort size = BinaryPrimitives.ReadUInt16LittleEndian(response[14..]);
        if (size < HeaderSize + 4 || response[16] != ServerCommandSet)
            return false;
        byte id = response[17];
        if (id != ResponseOk && id != ResponseError)
            return false;
        int hr = BinaryPrimitives.ReadInt32LittleEndian(response[HeaderSize..]);
        decoded = new IpcResponse(id == ResponseOk, hr);
        return true;
    }

    /// <summary>
    /// Sends <c>AttachProfiler</c> over <paramref name="socketPath"/> and waits for the answer. The runtime answers
    /// after the profiler's InitializeForAttach returned, with its HRESULT. Never throws: failures are in the result.
    /// </summary>
    public static AttachResult AttachProfiler(string socketPath, Guid clsid, string profilerPath, ReadOnlySpan<byte> clientData, TimeSpan timeout)
    {
        byte[] message;
        try
        {
            message = EncodeAttachProfiler((uint)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue), clsid, profilerPath, clientData);
        }
        catch (ArgumentException e)
        {
            return new AttachResult(AttachOutcome.Refused, 0, e.Message);
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            int ms = (int)Math.Clamp(timeout.TotalMilliseconds + 5000, 1000, int.MaxValue);
            socket.SendTimeout = ms;
            socket.ReceiveTimeout = ms;
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            socket.Send(message);
            var buffer = new byte[HeaderSize + 4];
            int read = 0;
            while (read < buffer.Length)
            {
                int n = socket.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
                if (n == 0)
                    return new AttachResult(AttachOutcome.Failed, 0, $"the runtime closed the diagnostics connection after {read} bytes of its answer");
                read += n;
            }
            if (!TryDecodeResponse(buffer, out var response))
                return new AttachResult(AttachOutcome.Failed, 0, "the runtime's answer is not a diagnostics IPC response");
            if (response.Ok && response.HResult >= 0)
                return new AttachResult(AttachOutcome.Attached, response.HResult, null);
            string why = response.HResult == CorProfilerAlreadyActive
                ? "a profiler is already loaded in the process (only one may be; CORPROF_E_PROFILER_ALREADY_ACTIVE)"
                : $"the runtime refused the profiler (HRESULT 0x{response.HResult:X8})";
            return new AttachResult(response.HResult == CorProfilerAlreadyActive ? AttachOutcome.AlreadyActive : AttachOutcome.Refused, response.HResult, why);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            return new AttachResult(AttachOutcome.PermissionDenied, 0,
                $"permission denied on {socketPath}: run as the user that owns the process (or root)");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            return new AttachResult(AttachOutcome.NoRuntime, 0, $"nothing listens on {socketPath} (the process has exited or its runtime is shutting down)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return new AttachResult(AttachOutcome.Failed, 0, $"the runtime did not answer within {timeout.TotalSeconds:0} s");
        }
        catch (Exception e)
        {
            return new AttachResult(AttachOutcome.Failed, 0, $"the diagnostics connection failed: {e.Message}");
        }
    }
}

/// <summary>A decoded diagnostics IPC response.</summary>
internal readonly record struct IpcResponse(bool Ok, int HResult);

/// <summary>How an attach went.</summary>
internal enum AttachOutcome
{
    Attached,
    AlreadyActive,
    Refused,
    PermissionDenied,
    NoRuntime,
    Failed,
}

/// <summary>The outcome, the runtime's HRESULT, and a message a person can act on (null on success).</summary>
internal sealed record AttachResult(AttachOutcome Outcome, int HResult, string? Message);
