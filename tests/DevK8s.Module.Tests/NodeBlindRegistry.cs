using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DevK8s.Module.Tests;

/// <summary>
/// A registry this machine can push to and the cluster's node cannot pull from, as when the image
/// names a host only the developer's machine resolves: a TCP relay to the test registry that drops
/// every connection whose first request comes from the Docker engine (the node's container runtime
/// on the test cluster; its User-Agent starts with "docker/"). DevK8s's own registry client gets through.
/// </summary>
public sealed class NodeBlindRegistry : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _refused;

    public NodeBlindRegistry(string upstreamHost = "127.0.0.1", int upstreamPort = 5000)
    {
        _listener.Start();
        _ = AcceptAsync(upstreamHost, upstreamPort);
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Connections from the node's runtime that were dropped.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private async Task AcceptAsync(string upstreamHost, int upstreamPort)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = RelayAsync(client, upstreamHost, upstreamPort);
        }
    }

    private async Task RelayAsync(TcpClient client, string upstreamHost, int upstreamPort)
    {
        using var _ = client;
        var down = client.GetStream();
        var head = new MemoryStream();
        var buffer = new byte[16384];
        // Read until the first request's headers are complete.
        while (!Encoding.ASCII.GetString(head.GetBuffer(), 0, (int)head.Length).Contains("\r\n\r\n"))
        {
            var n = await down.ReadAsync(buffer, _stop.Token);
            if (n == 0) return;
            head.Write(buffer, 0, n);
        }
        var headers = Encoding.ASCII.GetString(head.GetBuffer(), 0, (int)head.Length);
        if (headers.Contains("\nUser-Agent: docker/", StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _refused);
            return;
        }
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(upstreamHost, upstreamPort, _stop.Token);
        var up = upstream.GetStream();
        await up.WriteAsync(head.GetBuffer().AsMemory(0, (int)head.Length), _stop.Token);
        var a = down.CopyToAsync(up, _stop.Token);
        var b = up.CopyToAsync(down, _stop.Token);
        try { await Task.WhenAny(a, b); } catch (Exception) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
