using System.Net.Sockets;
using System.Text;

namespace DevK8s.Engine.Relay;

/// <summary>
/// One relayed TCP connection. PumpOut reads the local socket into DATA frames, never beyond the
/// agent's credit; PumpIn writes queued DATA to the socket and returns credit as it goes. The
/// queue never holds more than the credit granted, so the link's reader never waits on it.
/// </summary>
internal sealed class RelayStream(RelayLink link, uint id)
{
    private readonly object _gate = new();
    private readonly Queue<byte[]> _queue = new();
    private Socket? _socket;
    private long _sendWindow = RelayProtocol.InitialWindow;
    private long _recvCredit = RelayProtocol.InitialWindow;
    private long _consumed;
    private long _window = RelayProtocol.InitialWindow;
    private long _queued;
    private bool _peerClosed, _aborted;
    private int _finishedPumps;
    private TaskCompletionSource? _outWaiter, _inWaiter;

    public uint Id => id;

    public void Attach(Socket socket)
    {
        socket.NoDelay = true;
        lock (_gate)
        {
            if (!_aborted) _socket = socket;
        }
        if (_socket is null)
        {
            Reset(socket);
            return;
        }
        _ = Task.Run(PumpOutAsync);
        _ = Task.Run(PumpInAsync);
    }

    public void Deliver(byte[] data)
    {
        bool overflow;
        lock (_gate)
        {
            if (_aborted) return;
            overflow = data.Length > _recvCredit;
            if (!overflow)
            {
                _recvCredit -= data.Length;
                _queue.Enqueue(data);
                _queued += data.Length;
                Take(ref _inWaiter)?.TrySetResult();
            }
        }
        if (overflow) Abort("relay protocol error: data beyond the window", notify: true);
    }

    public void Credit(uint n)
    {
        lock (_gate)
        {
            _sendWindow += n;
            Take(ref _outWaiter)?.TrySetResult();
        }
    }

    public void PeerClose()
    {
        lock (_gate)
        {
            _peerClosed = true;
            Take(ref _inWaiter)?.TrySetResult();
        }
    }

    /// <summary>Tears the stream down both ways; notify sends RESET when the cause is on this side.</summary>
    public void Abort(string reason, bool notify)
    {
        Socket? socket;
        lock (_gate)
        {
            if (_aborted || _finishedPumps == 2) return;
            _aborted = true;
            _queue.Clear();
            Take(ref _outWaiter)?.TrySetResult();
            Take(ref _inWaiter)?.TrySetResult();
            socket = _socket;
        }
        if (notify) link.Send(FrameType.Reset, id, Encoding.UTF8.GetBytes(reason));
        link.Remove(id);
        if (socket is not null) Reset(socket);
    }

    /// <summary>The local peer sees a reset, not a clean end: a cut transfer never looks complete.</summary>
    internal static void Reset(Socket socket)
    {
        try { socket.LingerState = new LingerOption(true, 0); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        socket.Dispose();
    }

    private static TaskCompletionSource? Take(ref TaskCompletionSource? waiter)
    {
        var w = waiter;
        waiter = null;
        return w;
    }

    private async Task PumpOutAsync()
    {
        var buffer = new byte[RelayProtocol.MaxData];
        try
        {
            while (true)
            {
                Task? wait = null;
                int max;
                lock (_gate)
                {
                    if (_aborted) return;
                    max = (int)Math.Min(_sendWindow, buffer.Length);
                    if (max <= 0) wait = (_outWaiter = new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
                if (wait is not null)
                {
                    await wait.ConfigureAwait(false);
                    continue;
                }
                var n = await _socket!.ReceiveAsync(buffer.AsMemory(0, max), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    link.Send(FrameType.Close, id, default);
                    FinishPump();
                    return;
                }
                lock (_gate)
                {
                    if (_aborted) return;
                    _sendWindow -= n;
                }
                link.Send(FrameType.Data, id, buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Abort($"read: {e.Message}", notify: true);
        }
    }

    private async Task PumpInAsync()
    {
        // Everything queued leaves in one send: one system call for the frames a burst brought.
        var chunks = new List<ArraySegment<byte>>();
        try
        {
            while (true)
            {
                Task? wait = null;
                long taken = 0;
                chunks.Clear();
                lock (_gate)
                {
                    if (_aborted) return;
                    while (_queue.Count > 0)
                    {
                        var chunk = _queue.Dequeue();
                        chunks.Add(chunk);
                        taken += chunk.Length;
                    }
                    _queued -= taken;
                    if (chunks.Count == 0 && !_peerClosed) wait = (_inWaiter = new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
                if (wait is not null)
                {
                    await wait.ConfigureAwait(false);
                    continue;
                }
                if (chunks.Count == 0)
                {
                    _socket!.Shutdown(SocketShutdown.Send);
                    FinishPump();
                    return;
                }
                if (chunks.Count == 1) await _socket!.SendAsync(chunks[0], SocketFlags.None).ConfigureAwait(false);
                else await _socket!.SendAsync(chunks, SocketFlags.None).ConfigureAwait(false);
                long grant = 0;
                lock (_gate)
                {
                    _consumed += taken;
                    // Credit returns in halves of the window: few WINDOW frames, and the sender
                    // never idles while a full window is in flight.
                    if (_consumed >= _window / 2)
                    {
                        grant = _consumed;
                        _consumed = 0;
                        // Little left queued: the local reader keeps up and the link's round trip
                        // limits the stream, so the window doubles. A slow reader has half its
                        // window queued here and keeps the window it has.
                        if (_queued < _window / 4 && _window < RelayProtocol.MaxWindow)
                        {
                            grant += _window;
                            _window *= 2;
                        }
                        _recvCredit += grant;
                    }
                }
                if (grant > 0) link.Send(FrameType.Window, id, RelayProtocol.WindowPayload((uint)grant));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Abort($"write: {e.Message}", notify: true);
        }
    }

    private void FinishPump()
    {
        lock (_gate)
        {
            if (++_finishedPumps < 2 || _aborted) return;
        }
        link.Remove(id);
        _socket!.Dispose();
    }
}
