using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevK8s.Engine.Cluster;
using k8s;

namespace DevK8s.Engine.Tests;

/// <summary>
/// A stand-in Kubernetes API server on loopback: answers each request from a route function and
/// records every request ("GET /path", without the query), so a test can count the calls the engine makes.
/// </summary>
public sealed class StandInApiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, (int Status, string Body)> _route;
    private readonly Kubernetes _client;

    public string Url { get; }
    public ConcurrentQueue<string> Requests { get; } = new();
    public KubeTarget Target { get; }

    public StandInApiServer(Func<HttpListenerRequest, (int Status, string Body)> route, string ns = "dev")
    {
        _route = route;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = Task.Run(ServeAsync);
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = Url });
        Target = new KubeTarget { Client = _client, Context = "stand-in", Namespace = ns, Server = Url, KubeconfigPath = "" };
    }

    public static (int, string) NotFound() => (404, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""");

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            Requests.Enqueue($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}");
            var (status, body) = _route(context.Request);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _client.Dispose();
    }
}
