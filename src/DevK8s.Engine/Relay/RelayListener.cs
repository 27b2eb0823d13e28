using System.Net;
using System.Net.Sockets;

namespace DevK8s.Engine.Relay;

/// <summary>A local listener on 127.0.0.1 whose connections the agent relays to a cluster address.</summary>
public sealed class RelayListener : IDisposable
{
    private readonly RelayClient _client;
    private readonly TcpListener _listener;
    private readonly ushort _port;

    public string Host { get; }
    public int Port => _port;
    /// <summary>Where the local process connects.</summary>
    public IPEndPoint LocalEndPoint { get; }

    internal RelayListener(RelayClient client, string host, ushort port, int localPort)
    {
        _client = client;
        Host = host;
        _port = port;
        _listener = new TcpListener(IPAddress.Loopback, localPort);
        try { _listener.Start(); }
        catch (SocketException e)
        {
            throw new IOException($"cannot listen on 127.0.0.1:{localPort} for {host}:{port}: {e.Message}. Another program uses that port; pick another local port.", e);
        }
        LocalEndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _ = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try { socket = await _listener.AcceptSocketAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            if (_client.CurrentLink is not { } link || !link.TryOpen(socket, _port, Host))
                RelayStream.Reset(socket); // no link: fail fast instead of hanging
        }
    }

    public void Dispose() => _listener.Stop();
}
