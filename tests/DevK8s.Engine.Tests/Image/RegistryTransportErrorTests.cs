using System.Net;
using System.Net.Sockets;
using System.Text;
using DevK8s.Engine.Image;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

/// <summary>Transport failures become errors that say what to do; no network beyond loopback is used.</summary>
public class RegistryTransportErrorTests
{
    [Fact]
    public async Task An_unknown_host_says_so_and_points_at_the_published_registry()
    {
        // The resolver's own failure, raised where the handler would resolve, so no DNS query leaves this machine.
        using var handler = new SocketsHttpHandler { ConnectCallback = (_, _) => throw new SocketException((int)SocketError.HostNotFound) };
        using var client = new RegistryClient(new RegistryClientOptions { Handler = handler });
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse("devk8s-no-such-host.invalid/app:1")));
        Assert.Equal(RegistryErrorKind.UnknownHost, e.Kind);
        Assert.Contains("'devk8s-no-such-host.invalid' does not resolve", e.Message);
        Assert.Contains("local-registry-hosting", e.Message);
    }

    [Fact]
    public async Task Nothing_listening_is_unreachable()
    {
        using var client = new RegistryClient();
        var port = RegistryProcess.FreePort();
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"127.0.0.1:{port}/app:1")));
        Assert.Equal(RegistryErrorKind.Unreachable, e.Kind);
        Assert.Contains($"http://127.0.0.1:{port}", e.Message);
    }

    [Fact]
    public async Task A_plain_http_server_behind_a_remote_name_is_a_tls_failure_with_the_policy_explained()
    {
        // registry.devk8s.test is "remote" (HTTPS required); the handler routes it to a loopback server speaking plain HTTP.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer);
            await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        });
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(IPAddress.Loopback, port, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        using var client = new RegistryClient(new RegistryClientOptions { Handler = handler });
        var e = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse("registry.devk8s.test/app:1")));
        Assert.Equal(RegistryErrorKind.Tls, e.Kind);
        Assert.Contains("TLS handshake with registry.devk8s.test failed", e.Message);
        Assert.Contains("plain HTTP", e.Message);
    }
}
