using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Deep.Protocol.Grpc;

/// <summary>
/// The gRPC-over-HTTP/2 framing shared by the client and the server: length-prefixed messages,
/// <c>grpc-timeout</c> values and the percent-encoding of <c>grpc-message</c>.
/// </summary>
public static class GrpcFraming
{
    /// <summary>1 byte compressed flag + 4 bytes big-endian length.</summary>
    public const int HeaderSize = 5;

    /// <summary>The content type of gRPC requests and responses.</summary>
    public const string ContentType = "application/grpc";

    /// <summary>Writes the 5-byte frame header for an uncompressed message of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(1, 4), (uint)length);
    }

    /// <summary>The message with its frame header in front.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var framed = new byte[HeaderSize + message.Length];
        WriteHeader(framed, message.Length);
        message.CopyTo(framed.AsSpan(HeaderSize));
        return framed;
    }

    /// <summary>
    /// Reads one framed message. Returns null when the stream ends cleanly before a frame starts.
    /// A frame that is compressed, larger than <paramref name="maxMessageSize"/> or cut short raises
    /// <see cref="RpcException"/> (<see cref="GrpcStatusCode.Internal"/>, or
    /// <see cref="GrpcStatusCode.ResourceExhausted"/> when too large); it never allocates more than the limit.
    /// </summary>
    public static async ValueTask<byte[]?> ReadMessageAsync(Stream stream, int maxMessageSize, CancellationToken cancellationToken = default)
    {
        var header = new byte[HeaderSize];
        var got = await ReadAtMostAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < HeaderSize)
            throw new RpcException(GrpcStatusCode.Internal, $"gRPC frame header cut short after {got} of {HeaderSize} bytes");
        if (header[0] != 0)
            throw new RpcException(GrpcStatusCode.Unimplemented, "compressed gRPC messages are not supported (no grpc-encoding was negotiated)");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > (uint)maxMessageSize)
            throw new RpcException(GrpcStatusCode.ResourceExhausted, $"gRPC message of {length} bytes exceeds the limit of {maxMessageSize} bytes");
        var body = await ReadBodyAsync(stream, (int)length, cancellationToken).ConfigureAwait(false);
        if (body is null)
            throw new RpcException(GrpcStatusCode.Internal, $"gRPC message cut short: the frame announced {length} bytes");
        return body;
    }

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes. Large frames are read in chunks into a growing buffer, so a
    /// header that announces 16 MiB followed by a few bytes costs a few bytes, not 16 MiB.
    /// </summary>
    private static async ValueTask<byte[]?> ReadBodyAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        const int Chunk = 64 * 1024;
        if (length <= Chunk)
        {
            var small = new byte[length];
            return await ReadAtMostAsync(stream, small, cancellationToken).ConfigureAwait(false) == length ? small : null;
        }
        var buffer = new byte[Chunk];
        var total = 0;
        while (total < length)
        {
            if (total == buffer.Length) Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, length));
            var n = await stream.ReadAsync(buffer.AsMemory(total, Math.Min(buffer.Length, length) - total), cancellationToken).ConfigureAwait(false);
            if (n == 0) return null;
            total += n;
        }
        return buffer.Length == length ? buffer : buffer.AsSpan(0, length).ToArray();
    }

    private static async ValueTask<int> ReadAtMostAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>Formats a deadline as a <c>grpc-timeout</c> header value (at most 8 digits, as the spec requires).</summary>
    public static string FormatTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) return "1n";
        var ticks = timeout.Ticks; // 100 ns
        long value;
        if ((value = ticks * 100) < 100_000_000 && ticks < long.MaxValue / 100) return value.ToString(CultureInfo.InvariantCulture) + "n";
        if ((value = ticks / 10) < 100_000_000) return value.ToString(CultureInfo.InvariantCulture) + "u";
        if ((value = (long)Math.Ceiling(timeout.TotalMilliseconds)) < 100_000_000) return value.ToString(CultureInfo.InvariantCulture) + "m";
        if ((value = (long)Math.Ceiling(timeout.TotalSeconds)) < 100_000_000) return value.ToString(CultureInfo.InvariantCulture) + "S";
        if ((value = (long)Math.Ceiling(timeout.TotalMinutes)) < 100_000_000) return value.ToString(CultureInfo.InvariantCulture) + "M";
        return Math.Min((long)Math.Ceiling(timeout.TotalHours), 99_999_999).ToString(CultureInfo.InvariantCulture) + "H";
    }

    /// <summary>Parses a <c>grpc-timeout</c> header value such as <c>500m</c> or <c>10S</c>.</summary>
    public static bool TryParseTimeout(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9) return false;
        if (!long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) return false;
        timeout = value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromTicks(amount * 10),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => TimeSpan.MinValue,
        };
        return timeout != TimeSpan.MinValue;
    }

    /// <summary>Percent-encodes a status message for the <c>grpc-message</c> trailer (UTF-8; printable ASCII except '%' kept).</summary>
    public static string EncodeStatusMessage(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b >= 0x20 && b <= 0x7E && b != (byte)'%') sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Decodes a percent-encoded <c>grpc-message</c>; malformed escapes are kept as they are.</summary>
    public static string DecodeStatusMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded)) return "";
        if (!encoded.Contains('%')) return encoded;
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length
                && byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
