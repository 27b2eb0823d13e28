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
    private readonly StandInApiServer _server;
    private int _logCalls;

    public PodLogFollowerTests() => _server = new StandInApiServer(request => request.Url!.AbsolutePath switch
    {
        "/api/v1/namespaces/dev/pods" => (200, """
            {"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"api-1","namespace":"dev"},
             "status":{"phase":"Running","containerStatuses":[{"name":"main","ready":true,"restartCount":0,"image":"busybox","imageID":"","state":{"running":{}}}]}}]}
            """),
        "/api/v1/namespaces/dev/pods/api-1/log" => Refuse(),
        _ => StandInApiServer.NotFound(),
    });

    private (int, string) Refuse()
    {
        Interlocked.Increment(ref _logCalls);
        return (403, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"api-1\" is forbidden: User \"dev\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"dev\"","reason":"Forbidden","details":{"name":"api-1","kind":"pods"},"code":403}""");
    }

    public void Dispose() => _server.Dispose();

    private sealed class Sink : ILogSink
    {
        public ConcurrentQueue<DevLogRecord> Records { get; } = new();
        public void Write(DevLogRecord record) => Records.Enqueue(record);
    }

    [Fact]
    public async Task A_403_on_pods_log_is_one_warning_record_naming_the_permission_and_is_not_retried()
    {
        var sink = new Sink();
        var follower = new PodLogFollower(_server.Target, "api", "app=api", sink, tail: 10, since: null);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = follower.RunAsync(stop.Token);
        // Three more listings after the refusal: each one could have asked for the log again.
        int Listings() => _server.Requests.Count(r => r == "GET /api/v1/namespaces/dev/pods");
        while (sink.Records.IsEmpty && !run.IsCompleted) await Task.Delay(20);
        var seen = Listings();
        while (Listings() < seen + 3 && !run.IsCompleted) await Task.Delay(20);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        var warning = Assert.Single(sink.Records);
        Assert.Equal(("warning", "api", "api-1", "main"), (warning.Stream, warning.Service, warning.Pod, warning.Container));
        Assert.Contains("HTTP 403", warning.Message);
        Assert.Contains("cannot get resource \"pods/log\"", warning.Message);
        Assert.Contains("'get' on pods/log", warning.Message);
        // The pod was listed again and again; the refused container was asked once.
        Assert.Equal(1, _logCalls);
    }
}
