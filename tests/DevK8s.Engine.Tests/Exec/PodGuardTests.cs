using DevK8s.Engine.Exec;
using Xunit;

namespace DevK8s.Engine.Tests.Exec;

/// <summary>
/// The pod channel's watch over work under way: a pod the API reports gone ends the channel at once,
/// instead of the work waiting on the dead pod's stream.
/// </summary>
public class PodGuardTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task A_pod_reported_gone_cuts_the_channel_once_with_the_reason()
    {
        var checks = 0;
        var cuts = new List<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await PodChannel.GuardAsync(_ => Task.FromResult(++checks < 3 ? null : "was deleted"), cuts.Add, Interval, stop.Token)
            .WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(3, checks);
        Assert.Equal(["was deleted"], cuts);
    }

    [Fact]
    public async Task Work_that_ends_before_the_first_interval_costs_no_check()
    {
        var checks = 0;
        using var done = new CancellationTokenSource();
        var guard = PodChannel.GuardAsync(_ => { checks++; return Task.FromResult<string?>("was deleted"); }, _ => Assert.Fail("cut"), TimeSpan.FromSeconds(2), done.Token);
        done.Cancel();
        await guard.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, checks);
    }

    [Fact]
    public async Task A_check_that_fails_is_skipped_and_the_watch_goes_on_until_the_work_is_done()
    {
        var checks = 0;
        using var done = new CancellationTokenSource();
        var guard = PodChannel.GuardAsync(_ => ++checks % 2 == 1 ? throw new HttpRequestException("connection refused") : Task.FromResult<string?>(null),
            _ => Assert.Fail("cut"), Interval, done.Token);
        while (Volatile.Read(ref checks) < 6) await Task.Delay(10);
        Assert.False(guard.IsCompleted);
        done.Cancel();
        await guard.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
