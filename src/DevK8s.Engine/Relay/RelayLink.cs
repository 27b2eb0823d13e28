using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace DevK8s.Engine.Relay;

/// <summary>Connects a stream the agent opened: returns the local socket, or throws to reset it.</summary>
internal delegate Task<Socket> RelayDial(ushort port, string host, CancellationToken ct);

/// <summary>
/// One live link to the agent, multiplexing TCP connections. The read loop never blocks on a
/// socket: frames go out through a queue with one writer, and each stream queues at most the
/// window it granted, so a slow local reader stalls only its own stream.
/// </summary>
internal sealed class RelayLink
{
    private readonly Stream _transport;
    private readonly RelayDial? _dial;
    private readonly Channel<byte[]> _out = Channel.CreateUnbounded<byte[]>(new() { SingleReader = true });
    private readonly ConcurrentDictionary<uint, RelayStream> _streams = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _keepalive;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource> _pings = new();
    private long _pingSeq;
    private long _lastReceived = Environment.TickCount64;
    private int _nextId = 1;

    public RelayLink(Stream transport, RelayDial? dial, TimeSpan keepalive)
    {
        _transport = transport;
        _dial = dial;
        _keepalive = keepalive;
        _ = Task.Run(WriteLoopAsync);
        _ = Task.Run(ReadLoopAsync);
        if (keepalive > TimeSpan.Zero) _ = Task.Run(KeepaliveLoopAsync);
    }

    /// <summary>Completes with the reason when the link is gone.</summary>
    public Task<string> Completion => _completion.Task;

    public int OpenStreams => _streams.Count;

    /// <summary>Sends READY and waits for the agent's: from then on inbound connections flow.</summary>
    public async Task HandshakeAsync(TimeSpan timeout, CancellationToken ct)
    {
        Send(FrameType.Ready, 0, Encoding.UTF8.GetBytes(RelayProtocol.Version));
        var ended = await Task.WhenAny(_ready.Task, _completion.Task).WaitAsync(timeout, ct).ConfigureAwait(false);
        if (ended == _completion.Task) throw new IOException($"the relay agent did not answer: {_completion.Task.Result}");
    }

    /// <summary>Relays a local socket to host:port dialled by the agent. No acknowledgement is awaited.</summary>
    public bool TryOpen(Socket socket, ushort port, string host)
    {
        if (_completion.Task.IsCompleted) return false;
        var id = (uint)Interlocked.Add(ref _nextId, 2) - 2;
        var stream = new RelayStream(this, id);
        _streams[id] = stream;
        Send(FrameType.Open, id, RelayProtocol.OpenPayload(port, host));
        stream.Attach(socket);
        // Fail marks the link completed before it resets the streams it sees: one added meanwhile
        // is caught here.
        if (_completion.Task.IsCompleted) stream.Abort("relay link lost", notify: false);
        return true;
    }

    /// <summary>One PING/PONG through the link: the latency every relayed request pays on top of its own.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken ct)
    {
        var seq = (ulong)Interlocked.Increment(ref _pingSeq); // keepalive pings carry 0
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[seq] = pong;
        var payload = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(payload, seq);
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            Send(FrameType.Ping, 0, payload);
            await Task.WhenAny(pong.Task, _completion.Task).WaitAsync(ct).ConfigureAwait(false);
            if (!pong.Task.IsCompleted) throw new IOException($"relay link lost: {_completion.Task.Result}");
            return System.Diagnostics.Stopwatch.GetElapsedTime(start);
        }
        finally { _pings.TryRemove(seq, out _); }
    }

    public void Close(string reason) => Fail(reason);

    internal void Send(FrameType type, uint id, ReadOnlySpan<byte> payload) =>
        _out.Writer.TryWrite(RelayProtocol.Encode(type, id, payload));

    internal void Remove(uint id) => _streams.TryRemove(id, out _);

    private void Fail(string reason)
    {
        if (!_completion.TrySetResult(reason)) return;
        _out.Writer.TryComplete();
        _stop.Cancel();
        try { _transport.Dispose(); } catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.WebSockets.WebSocketException) { }
        foreach (var stream in _streams.Values) stream.Abort("relay link lost", notify: false);
    }

    private async Task WriteLoopAsync()
    {
        // Frames queued together leave as one write: the exec transport sends one WebSocket
        // message per write.
        var batch = new MemoryStream();
        try
        {
            while (await _out.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batch.SetLength(0);
                while (batch.Length < 256 * 1024 && _out.Reader.TryRead(out var frame)) batch.Write(frame);
                await _transport.WriteAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), _stop.Token).ConfigureAwait(false);
                await _transport.FlushAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fail(e is OperationCanceledException ? "relay link closed" : $"relay link write failed: {e.Message}");
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = new FrameReader(_transport);
        try
        {
            while (await reader.ReadAsync(_stop.Token).ConfigureAwait(false) is { } frame)
            {
                Interlocked.Exchange(ref _lastReceived, Environment.TickCount64);
                Handle(frame);
            }
            Fail("relay link closed by the agent");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fail(e is OperationCanceledException ? "relay link closed" : $"relay link read failed: {e.Message}");
        }
    }

    private async Task KeepaliveLoopAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_keepalive, _stop.Token).ConfigureAwait(false);
                var idle = TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _lastReceived));
                if (idle > 3 * _keepalive)
                {
                    Fail($"relay link silent for {idle.TotalSeconds:0.0} s");
                    return;
                }
                Send(FrameType.Ping, 0, new byte[8]);
            }
        }
        catch (OperationCanceledException) { }
    }

    private void Handle(Frame f)
    {
        switch (f.Type)
        {
            case FrameType.Ready:
                var version = Encoding.UTF8.GetString(f.Payload);
                if (version != RelayProtocol.Version)
                    throw new RelayProtocolException($"the agent speaks {version}, this DevK8s {RelayProtocol.Version}; Stop-DevService and start again to upload the matching agent");
                _ready.TrySetResult();
                return;
            case FrameType.Ping:
                Send(FrameType.Pong, 0, f.Payload);
                return;
            case FrameType.Pong:
                if (f.Payload.Length == 8 && _pings.TryGetValue(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(f.Payload), out var pong)) pong.TrySetResult();
                return;
            case FrameType.Open:
                AcceptOpen(f);
                return;
        }
        if (!_streams.TryGetValue(f.Id, out var stream)) return; // in flight for a stream already reset
        switch (f.Type)
        {
            case FrameType.Data: stream.Deliver(f.Payload); break;
            case FrameType.Window:
                if (f.Payload.Length != 4) throw new RelayProtocolException($"WINDOW frame of {f.Payload.Length} bytes");
                stream.Credit(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(f.Payload));
                break;
            case FrameType.Close: stream.PeerClose(); break;
            case FrameType.Reset: stream.Abort(Encoding.UTF8.GetString(f.Payload), notify: false); break;
            default: throw new RelayProtocolException($"unknown frame type {(byte)f.Type}");
        }
    }

    private void AcceptOpen(Frame f)
    {
        var (port, host) = RelayProtocol.ParseOpen(f.Payload);
        if (f.Id == 0 || f.Id % 2 == 1) throw new RelayProtocolException($"agent opened stream {f.Id} with the client's parity");
        if (_dial is null)
        {
            Send(FrameType.Reset, f.Id, "this client accepts no inbound streams"u8);
            return;
        }
        var stream = new RelayStream(this, f.Id);
        if (!_streams.TryAdd(f.Id, stream)) throw new RelayProtocolException($"stream {f.Id} opened twice");
        if (_completion.Task.IsCompleted) stream.Abort("relay link lost", notify: false);
        // Dial aside: DATA arriving meanwhile waits inside the stream's window.
        _ = Task.Run(async () =>
        {
            Socket socket;
            try { socket = await _dial(port, host, _stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                stream.Abort(e.Message, notify: true);
                return;
            }
            stream.Attach(socket);
        });
    }
}
