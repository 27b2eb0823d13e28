using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using DevK8s.Engine.Exec;

namespace DevK8s.Engine.Relay;

/// <summary>
/// One port of a WebSocket port-forward (v4.channel.k8s.io) as a duplex stream, read straight from
/// the socket: channel 0 carries the data, channel 1 the kubelet's error text; both start with the
/// port number (2 bytes, little endian), which is skipped. Reading the socket directly, rather than
/// through KubernetesClient's StreamDemuxer, saves a blocking buffer and a thread hop per message.
/// </summary>
internal sealed class PortForwardStream(WebSocket socket, string what) : AsyncDuplexStream
{
    private const byte DataChannel = 0, ErrorChannel = 1;
    private readonly byte[] _buffer = new byte[1024 * 1024];
    private readonly int[] _prefixLeft = [2, 2];
    private readonly StringBuilder _error = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private int _start, _end;
    private bool _atMessageStart = true;
    private byte _channel;

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        while (_end == _start)
        {
            var r = await socket.ReceiveAsync(_buffer, ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close) return Ended();
            var at = 0;
            if (_atMessageStart && r.Count > 0)
            {
                _channel = _buffer[0];
                at = 1;
            }
            _atMessageStart = r.EndOfMessage || (_atMessageStart && r.Count == 0);
            if (_channel > ErrorChannel) continue;
            var skip = Math.Min(_prefixLeft[_channel], r.Count - at);
            _prefixLeft[_channel] -= skip;
            at += skip;
            if (_channel == ErrorChannel) _error.Append(Encoding.UTF8.GetString(_buffer, at, r.Count - at));
            else (_start, _end) = (at, r.Count);
            if (_error.Length > 0 && _atMessageStart) throw new IOException($"the port-forward to {what} failed: {_error.ToString().Trim()}");
        }
        var n = Math.Min(destination.Length, _end - _start);
        _buffer.AsMemory(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    private int Ended() => _error.Length > 0 ? throw new IOException($"the port-forward to {what} failed: {_error.ToString().Trim()}") : 0;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken ct = default)
    {
        var message = ArrayPool<byte>.Shared.Rent(source.Length + 1);
        await _sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            message[0] = DataChannel;
            source.CopyTo(message.AsMemory(1));
            await socket.SendAsync(message.AsMemory(0, source.Length + 1), WebSocketMessageType.Binary, endOfMessage: true, ct).ConfigureAwait(false);
        }
        finally
        {
            _sending.Release();
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    protected override void Dispose(bool disposing)
    {
        // Abort, not a close handshake: link teardown must not wait on the network.
        if (disposing) socket.Dispose();
        base.Dispose(disposing);
    }
}
