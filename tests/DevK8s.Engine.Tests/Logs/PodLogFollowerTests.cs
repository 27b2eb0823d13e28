using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Logs;
using k8s;
using Xunit;

namespace DevK8s.Engine.Tests.Logs;

/// <summary>
/// The follower against a stand-in API server on loopback that lists one running pod and answers its
/// log request the way a server without the pods/log permission does.
/// </summary>
public sealed class PodLogFollowerTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _url;
    private int _logCalls;

    public PodLogFollowerTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_url);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            var path = context.Request.Url!.AbsolutePath;
            var (status, body) = path switch
            {
                "/api/v1/namespaces/dev/pods" => (200, """
                    {"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"api-1","namespace":"dev"},
                     "status":{"phase":"Running","containerStatuses":[{"name":"main","ready":true,"restartCount":0,"image":"busybox","imageID":"","state":{"running":{}}}]}}]}
                    """),
                "/api/v1/namespaces/dev/pods/api-1/log" => Refuse(),
                _ => (404, """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}"""),
            };
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            var bytes = Encoding.UTF8.GetBytes(body);
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private (int, string) Refuse()
    {
        Interlocked.Increment(ref _logCalls);
        return (403, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"api-1\" is forbidden: User \"dev\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"dev\"","reason":"Forbidden","details":{"name":"api-1","kind":"pods"},"code":403}""");
    }

    public void Dispose() => _listener.Close();

    private sealed class Sink : ILogSink
    {
        public ConcurrentQueue<DevLogRecord> Records { get; } = new();
        public void Write(DevLogRecord record) => Records.Enqueue(record);
    }

    [Fact]
    public async Task A_403_on_pods_log_is_one_warning_record_naming_the_permission_and_is_not_retried()
    {
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = _url });
        using var target = new KubeTarget { Client = client, Context = "stand-in", Namespace = "dev", Server = _url, KubeconfigPath = "" };
        var sink = new Sink();
        var follower = new PodLogFollower(target, "api", "app=api", sink, tail: 10, since: null);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3.5));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => follower.RunAsync(stop.Token));

        var warning = Assert.Single(sink.Records);
        Assert.Equal(("warning", "api", "api-1", "main"), (warning.Stream, warning.Service, warning.Pod, warning.Container));
        Assert.Contains("HTTP 403", warning.Message);
        Assert.Contains("cannot get resource \"pods/log\"", warning.Message);
        Assert.Contains("'get' on pods/log", warning.Message);
        // The pod was listed about four times; the refused container was asked once.
        Assert.Equal(1, _logCalls);
    }
}
