using System.Net;
using System.Net.Sockets;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>A TCP server on 127.0.0.1 standing for the developer's process (or a cluster Service).</summary>
internal sealed class TestServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public int Port { get; }

    public TestServer(Func<NetworkStream, Task> handle)
    {
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            while (true)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try { await handle(client.GetStream()); }
                        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
                    }
                });
            }
        });
    }

    public static TestServer Echo() => new(async s => await s.CopyToAsync(s));

    public void Dispose() => _listener.Stop();
}

internal static class Net
{
    public static async Task<TcpClient> ConnectAsync(int port, CancellationToken ct)
    {
        var c = new TcpClient { NoDelay = true };
        await c.ConnectAsync(IPAddress.Loopback, port, ct);
        return c;
    }

    public static byte[] Random(int n)
    {
        var b = new byte[n];
        System.Random.Shared.NextBytes(b);
        return b;
    }

    /// <summary>Reads to the end; a reset surfaces as an IOException.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream s, CancellationToken ct)
    {
        var ms = new MemoryStream();
        await s.CopyToAsync(ms, ct);
        return ms.ToArray();
    }
}
