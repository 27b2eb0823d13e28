using System.Buffers.Binary;
using System.Text;

namespace DevK8s.Engine.Relay;

/// <summary>Frame types of the relay link; the agent's src/agent/frame.go is the other half.</summary>
internal enum FrameType : byte
{
    Ready = 1,  // payload: protocol version; the agent answers only once it relays through this client
    Open = 2,   // payload: port (2 bytes) then the host to dial (empty for inbound)
    Data = 3,   // consumes the receiver's window
    Window = 4, // payload: 4-byte credit
    Close = 5,  // the sender writes no more (TCP half-close)
    Reset = 6,  // payload: reason; aborted both ways
    Ping = 7,
    Pong = 8,
}

internal readonly record struct Frame(FrameType Type, uint Id, byte[] Payload);

/// <summary>
/// Header: type (1 byte), stream id (4, big endian), payload length (4, big endian). Stream 0 is the
/// link itself. The client opens odd stream ids, the agent even ones.
/// </summary>
internal static class RelayProtocol
{
    public const string Version = "devk8s-relay/1";
    public const int HeaderSize = 9;
    public const int MaxData = 128 * 1024;
    public const int MaxPayload = 1 << 20;
    /// <summary>What each side may send on a new stream before any credit returns: no round trip per request.</summary>
    public const int InitialWindow = 256 * 1024;
    /// <summary>
    /// The most a stream's window grows to while its local reader keeps up (RelayStream): what it may
    /// hold queued if that reader then slows. The agent's is 4 MiB: it lives inside the pod's memory limit.
    /// </summary>
    public const int MaxWindow = 16 * 1024 * 1024;

    public static byte[] Encode(FrameType type, uint id, ReadOnlySpan<byte> payload)
    {
        var b = new byte[HeaderSize + payload.Length];
        b[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(1), id);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(5), (uint)payload.Length);
        payload.CopyTo(b.AsSpan(HeaderSize));
        return b;
    }

    public static byte[] OpenPayload(ushort port, string host)
    {
        var b = new byte[2 + Encoding.UTF8.GetByteCount(host)];
        BinaryPrimitives.WriteUInt16BigEndian(b, port);
        Encoding.UTF8.GetBytes(host, b.AsSpan(2));
        return b;
    }

    public static (ushort Port, string Host) ParseOpen(byte[] p) => p.Length < 2
        ? throw new RelayProtocolException($"OPEN frame of {p.Length} bytes")
        : (BinaryPrimitives.ReadUInt16BigEndian(p), Encoding.UTF8.GetString(p, 2, p.Length - 2));

    public static byte[] WindowPayload(uint credit)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, credit);
        return b;
    }
}

/// <summary>Reads frames from the link with its own buffer (the link's write side is used concurrently).</summary>
internal sealed class FrameReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[1024 * 1024];
    private int _start, _end;

    /// <summary>The next frame, or null when the link ended between frames.</summary>
    public async ValueTask<Frame?> ReadAsync(CancellationToken ct)
    {
        if (!await FillAsync(RelayProtocol.HeaderSize, ct).ConfigureAwait(false))
            return _end == _start ? null : throw new IOException("relay link ended inside a frame");
        var header = _buffer.AsSpan(_start, RelayProtocol.HeaderSize);
        var type = (FrameType)header[0];
        var id = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[5..]);
        if (length > RelayProtocol.MaxPayload)
            throw new RelayProtocolException($"frame of {length} bytes (limit {RelayProtocol.MaxPayload}); is the agent from this DevK8s version?");
        _start += RelayProtocol.HeaderSize;
        var payload = new byte[length];
        var copied = 0;
        while (copied < payload.Length)
        {
            if (_end == _start && !await FillAsync(1, ct).ConfigureAwait(false))
                throw new IOException("relay link ended inside a frame");
            var n = Math.Min(_end - _start, payload.Length - copied);
            _buffer.AsSpan(_start, n).CopyTo(payload.AsSpan(copied));
            _start += n;
            copied += n;
        }
        return new Frame(type, id, payload);
    }

    private async ValueTask<bool> FillAsync(int need, CancellationToken ct)
    {
        if (_end - _start >= need) return true;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        while (_end < need)
        {
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) return false;
            _end += n;
        }
        return true;
    }
}

/// <summary>The peer broke the relay protocol: the link is dropped and reconnected.</summary>
public sealed class RelayProtocolException(string message) : IOException("relay protocol error: " + message);
