using System.Net;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;
using Xunit;

namespace DevK8s.Engine.Tests.Exec;

/// <summary>What the pod channel retries, and what it gives up on instead of looping forever.</summary>
public class PodRetryTests
{
    private static async Task<(int Attempts, int Recovered, List<TimeSpan> Waits, Exception? Error)> Run(Func<int, Exception?> failure)
    {
        var attempts = 0;
        var recovered = 0;
        var waits = new List<TimeSpan>();
        try
        {
            await PodChannel.RetryAsync(() =>
            {
                var e = failure(++attempts);
                return e is null ? Task.CompletedTask : Task.FromException(e);
            }, () => { recovered++; return Task.CompletedTask; }, _ => { }, "sync", CancellationToken.None,
            (wait, _) => { waits.Add(wait); return Task.CompletedTask; });
            return (attempts, recovered, waits, null);
        }
        catch (Exception e) { return (attempts, recovered, waits, e); }
    }

    [Fact]
    public async Task A_lost_pod_or_network_is_retried_with_growing_backoff_until_it_works()
    {
        var (attempts, recovered, waits, error) = await Run(n => n < 5 ? new IOException("the sync channel to web-1 closed") : null);
        Assert.Null(error);
        Assert.Equal((5, 4), (attempts, recovered));
        Assert.Equal(new[] { 250, 500, 1000, 2000 }, waits.Select(w => (int)w.TotalMilliseconds));
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    [InlineData(HttpStatusCode.BadRequest)]
    public async Task A_request_the_API_refuses_for_good_ends_at_once(HttpStatusCode status)
    {
        var (attempts, _, _, error) = await Run(_ => new KubeApiException(status, status.ToString(), "pods \"web-1\" is forbidden"));
        Assert.Equal(1, attempts);
        Assert.IsType<KubeApiException>(error);
    }

    [Fact]
    public async Task A_busy_server_or_a_replaced_pod_is_transient()
    {
        var (attempts, _, _, error) = await Run(n => n switch
        {
            1 => new KubeApiException(HttpStatusCode.Conflict, "Conflict", "the object has been modified"),
            2 => new KubeApiException(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "etcd leader changed"),
            3 => new KubeApiException(HttpStatusCode.NotFound, "NotFound", "pods \"web-1\" not found"),
            4 => new TimeoutException("the pod channel to web-1 did not answer within 30 s"),
            _ => null,
        });
        Assert.Null(error);
        Assert.Equal(5, attempts);
    }

    [Fact]
    public async Task The_same_failed_request_three_times_in_a_row_ends_the_session_with_the_reason()
    {
        var (attempts, _, _, error) = await Run(_ => new PodRequestFailedException("extracting 1 file(s) into web-1:/app failed (tar status 2)", 2));
        Assert.Equal(3, attempts);
        var failed = Assert.IsType<DevModeException>(error);
        Assert.Contains("sync failed 3 times in a row: extracting 1 file(s) into web-1:/app failed (tar status 2)", failed.Message);
    }

    [Fact]
    public async Task A_session_ended_elsewhere_is_not_retried()
    {
        var (attempts, _, _, error) = await Run(_ => new DevSessionEndedException("web", "abc", null));
        Assert.Equal(1, attempts);
        Assert.IsType<DevSessionEndedException>(error);
    }
}
