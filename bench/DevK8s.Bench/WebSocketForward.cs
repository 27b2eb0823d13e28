using System.Net;
using System.Net.Sockets;

namespace DevK8s.Bench;

/// <summary>
/// A local listener that gives each accepted connection a port-forward of its own, through the
/// same WebSocket transport as DevK8s's relay link, and copies bytes both ways with no framing of
/// ours: the transport's own cost, for P7's outbound comparison.
/// </summary>
internal sealed class WebSocketForward : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<CancellationToken, Task<Stream>> _connect;

    public WebSocketForward(Func<CancellationToken, Task<Stream>> connect)
    {
        _connect = connect;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _ = ServeAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task ServeAsync(Socket socket)
    {
        socket.NoDelay = true;
        using var local = new NetworkStream(socket, ownsSocket: true);
        try
        {
            await using var remote = await _connect(_stop.Token);
            var up = local.CopyToAsync(remote, 256 * 1024, _stop.Token);
            var down = remote.CopyToAsync(local, 256 * 1024, _stop.Token);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client sees the connection end; the bench's client fails loudly on a short body.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
