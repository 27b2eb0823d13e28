using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevK8s.Engine.Cluster;
using k8s;
using Xunit;

namespace DevK8s.Windows.Tests;

/// <summary>
/// A kubeconfig credential plugin installed as a .cmd (as gcloud and kubelogin wrappers are), named
/// without its extension: found through PATHEXT, run through cmd with its arguments whole, and its token
/// is what the API requests carry (a loopback HTTP listener stands in for the API server: Wine's TLS
/// cannot verify a real cluster's CA, and the header is what matters here).
/// </summary>
public class ExecPluginTests
{
    [Fact]
    public async Task A_cmd_plugin_on_PATH_runs_with_its_arguments_and_its_token_reaches_the_API_server()
    {
        var dir = Directory.CreateTempSubdirectory("devk8s plugin dir ").FullName; // a space in the plugin's path
        File.WriteAllText(Path.Combine(dir, "kube-login.cmd"),
            "@echo off\r\n" +
            ">\"%~dp0args.txt\" echo %*\r\n" +
            "echo {\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"token-for-%~2\"}}\r\n");
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", dir + ";" + path); // found on PATH like an installed plugin
        using var server = new LoopbackServer();
        var kubeconfig = Path.Combine(dir, "config");
        File.WriteAllText(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters: [{ name: c, cluster: { server: "{{server.Url}}" } }]
            contexts: [{ name: dev, context: { cluster: c, user: u } }]
            users:
              - name: u
                user:
                  exec:
                    apiVersion: client.authentication.k8s.io/v1
                    command: kube-login
                    args: ["--cluster", "my cluster", "x&y"]
            """);
        try
        {
            using var target = KubeTarget.Open(new KubeTargetOptions(KubeconfigPath: kubeconfig));
            await target.Client.CoreV1.ListNamespacedPodAsync("dev");
        }
        finally { Environment.SetEnvironmentVariable("PATH", path); }
        // cmd's %* is the argument text as quoted for cmd: each argument whole, the & not run as a command.
        Assert.Equal("--cluster \"my cluster\" \"x&y\"", File.ReadAllText(Path.Combine(dir, "args.txt")).TrimEnd());
        var request = Assert.Single(server.Requests);
        Assert.Equal("GET /api/v1/namespaces/dev/pods", request.Line);
        Assert.Equal("Bearer token-for-my cluster", request.Authorization);
    }

    /// <summary>Answers every request with an empty pod list and records its request line and Authorization header.</summary>
    private sealed class LoopbackServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public string Url { get; }
        public ConcurrentQueue<(string Line, string? Authorization)> Requests { get; } = new();

        public LoopbackServer()
        {
            _listener.Start();
            Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            _ = Task.Run(ServeAsync);
        }

        private async Task ServeAsync()
        {
            while (true)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                using (client)
                {
                    var stream = client.GetStream();
                    var reader = new StreamReader(stream, Encoding.ASCII);
                    var line = await reader.ReadLineAsync() ?? "";
                    string? authorization = null;
                    while (await reader.ReadLineAsync() is { Length: > 0 } header)
                        if (header.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase)) authorization = header["Authorization:".Length..].Trim();
                    var target = line.Split(' ') is [var method, var uri, ..] ? $"{method} {uri.Split('?')[0]}" : line;
                    Requests.Enqueue((target, authorization));
                    var body = Encoding.UTF8.GetBytes("""{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}""");
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(head);
                    await stream.WriteAsync(body);
                }
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
