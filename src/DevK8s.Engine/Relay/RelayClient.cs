using System.Net;
using System.Net.Sockets;

namespace DevK8s.Engine.Relay;

/// <summary>
/// The laptop's end of the built-in intercept. Keeps one link to the agent (reconnecting with
/// backoff when it breaks), dials 127.0.0.1:&lt;local port&gt; for every connection the agent accepted
/// in the pod, and relays connections to local listeners (<see cref="ListenAsync"/>) to cluster
/// addresses the agent dials.
/// </summary>
public sealed class RelayClient : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<Stream>> _connect;
    private readonly IReadOnlyDictionary<int, int> _inboundPorts;
    private readonly RelayOptions _options;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<RelayListener> _listeners = [];
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RelayLink? _link;
    private long _lastRefusalLog = -1;
    private Task? _loop;

    /// <param name="connect">Opens a new link to the agent (the exec stream of "devk8s-agent attach", or a local pipe in tests).</param>
    /// <param name="inboundPorts">Container port → local port the developer's process listens on.</param>
    /// <param name="log">Link events (connected, lost, retrying), one line each.</param>
    public RelayClient(Func<CancellationToken, Task<Stream>> connect, IReadOnlyDictionary<int, int> inboundPorts, RelayOptions? options = null, Action<string>? log = null)
    {
        _connect = connect;
        _inboundPorts = inboundPorts;
        _options = options ?? new RelayOptions();
        _log = log ?? (_ => { });
    }

    public bool IsConnected => _link is not null;

    /// <summary>Raised with true when a link is up, false when it was lost (from the client's loop; keep handlers short).</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>How many times a link was established (1 on the first connection).</summary>
    public int Connections { get; private set; }

    /// <summary>Streams open on the current link.</summary>
    public int OpenStreams => _link?.OpenStreams ?? 0;

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Completes once a link is up and the agent relays through it.</summary>
    public Task WaitConnectedAsync(CancellationToken ct) => _connected.Task.WaitAsync(ct);

    /// <summary>
    /// Listens on 127.0.0.1:<paramref name="localPort"/> (0 picks a free port) and relays each
    /// connection to <paramref name="host"/>:<paramref name="port"/> as dialled from the pod. While
    /// no link is up, connections are reset at once.
    /// </summary>
    public RelayListener Listen(string host, int port, int localPort = 0)
    {
        var listener = new RelayListener(this, host, checked((ushort)port), localPort);
        lock (_listeners) _listeners.Add(listener);
        return listener;
    }

    /// <summary>The round trip through the current link (laptop → API server → kubelet → agent and back).</summary>
    public Task<TimeSpan> PingAsync(CancellationToken ct) =>
        (_link ?? throw new InvalidOperationException("the relay is not connected")).PingAsync(ct);

    internal RelayLink? CurrentLink => _link;

    private async Task RunAsync(CancellationToken ct)
    {
        var backoff = _options.MinBackoff;
        while (!ct.IsCancellationRequested)
        {
            RelayLink? link = null;
            try
            {
                var transport = await _connect(ct).ConfigureAwait(false);
                link = new RelayLink(transport, DialLocalAsync, _options.Keepalive);
                await link.HandshakeAsync(_options.HandshakeTimeout, ct).ConfigureAwait(false);
                _link = link;
                Connections++;
                _connected.TrySetResult();
                _log(Connections == 1 ? "relay connected" : "relay reconnected");
                ConnectionChanged?.Invoke(true);
                backoff = _options.MinBackoff;
                var reason = await link.Completion.WaitAsync(ct).ConfigureAwait(false);
                _log($"relay link lost ({reason}); reconnecting");
                ConnectionChanged?.Invoke(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log($"relay cannot connect ({e.Message}); retrying in {backoff.TotalSeconds:0.#} s");
            }
            finally
            {
                if (_link == link && link is not null)
                {
                    _link = null;
                    _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                link?.Close("relay client stopped or reconnecting");
            }
            try { await Task.Delay(backoff, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    private async Task<Socket> DialLocalAsync(ushort port, string host, CancellationToken ct)
    {
        var local = _inboundPorts.TryGetValue(port, out var mapped) ? mapped : port;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(IPAddress.Loopback, local, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            var error = new IOException($"a request reached container port {port}, but nothing answers on 127.0.0.1:{local}: is the local process running and listening there?");
            // Once every 5 s at most: a client retrying in a loop must not flood the log.
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastRefusalLog);
            if ((last < 0 || now - last > 5000) && Interlocked.CompareExchange(ref _lastRefusalLog, now, last) == last) _log(error.Message);
            throw error;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        RelayListener[] listeners;
        lock (_listeners) listeners = [.. _listeners];
        foreach (var l in listeners) l.Dispose();
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _link?.Close("relay client stopped");
        _stop.Dispose();
    }
}
