using System.Net;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Sync;
using k8s;

namespace DevK8s.Engine.Exec;

/// <summary>
/// One long-lived agent channel to a session's live dev pod, shared by every strategy that works
/// inside the pod: opened on demand against whichever pod runs the dev template now, dropped and
/// reopened with backoff when the pod is replaced or the API server goes away (work that runs long
/// is watched: a pod deleted under it ends the channel at once). Errors that no
/// retry can fix (forbidden, invalid, the session ended elsewhere, the same request failing again
/// and again) end the retries instead of looping forever.
/// </summary>
public sealed class PodChannel(KubeTarget target, DevModeController controller, string sessionId, string workload, Action<string, string> log) : IAsyncDisposable
{
    private const int SameFailureLimit = 3;
    private SyncAgent? _agent;

    public DevPod? Pod { get; private set; }

    /// <summary>Raised with false when the channel is lost, true when one is open again.</summary>
    public event Action<bool>? ConnectionChanged;

    /// <summary>Raised when an open channel closes by itself (pod replaced, container restarted).</summary>
    public event Action? Lost;

    public bool IsOpen => _agent is { Closed.IsCompleted: false };

    /// <summary>The open agent, opening one to the current dev pod if needed.</summary>
    public async Task<SyncAgent> OpenAsync(CancellationToken ct)
    {
        if (_agent is { Closed.IsCompleted: false } open) return open;
        await DropAsync().ConfigureAwait(false);
        Pod = await controller.FindDevPodAsync(sessionId, ct).ConfigureAwait(false)
            ?? throw new IOException($"no ready dev pod of {workload} yet");
        var agent = await SyncAgent.StartAsync(target, Pod, line => log("stderr", line), ct).ConfigureAwait(false);
        _agent = agent;
        log("stdout", $"pod channel open to {Pod.Name}");
        ConnectionChanged?.Invoke(true);
        _ = agent.Closed.ContinueWith(_ =>
        {
            if (ReferenceEquals(_agent, agent)) Lost?.Invoke();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return agent;
    }

    /// <summary>
    /// Runs <paramref name="work"/> until it succeeds: transient failures drop the channel and retry
    /// with backoff (250 ms doubling to 10 s), keeping whatever the caller still has to send.
    /// <paramref name="work"/> gets the agent and whether the channel is new (so the container may
    /// have lost what an earlier channel put there).
    /// </summary>
    public Task RunAsync(Func<SyncAgent, bool, Task> work, string what, CancellationToken ct) =>
        RetryAsync(async () =>
        {
            var reopened = !IsOpen;
            var agent = await OpenAsync(ct).ConfigureAwait(false);
            var pod = Pod!;
            using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var guard = GuardAsync(token => GoneAsync(pod, token), why =>
            {
                log("warning", $"{pod.Name} {why} while {what}; dropping its channel so the work goes to the pod that replaces it");
                agent.Abort();
            }, GuardInterval, done.Token);
            try
            {
                await work(agent, reopened).ConfigureAwait(false);
            }
            finally
            {
                done.Cancel();
                await guard.ConfigureAwait(false);
            }
        }, DropAsync, message => log("warning", message), what, ct);

    internal static readonly TimeSpan GuardInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// While work is under way, asks every <paramref name="interval"/> whether the pod is gone and
    /// calls <paramref name="onGone"/> once if it is. A deleted pod's exec stream stays open until its
    /// container is killed, and a copy into it waits on it (under load, up to the request's deadline):
    /// the API knows sooner. Short requests end before the first check, so they cost no API call;
    /// a check that fails (the API server busy or away) is skipped, the request's deadline still holds.
    /// </summary>
    internal static async Task GuardAsync(Func<CancellationToken, Task<string?>> gone, Action<string> onGone, TimeSpan interval, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, ct).ConfigureAwait(false);
                string? why;
                try { why = await gone(ct).ConfigureAwait(false); }
                catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException) { continue; }
                if (why is null) continue;
                onGone(why);
                return;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Why <paramref name="pod"/> no longer takes work (deleted, terminating, replaced under its name), or null.</summary>
    private async Task<string?> GoneAsync(DevPod pod, CancellationToken ct)
    {
        try
        {
            var live = await target.Client.CoreV1.ReadNamespacedPodAsync(pod.Name, target.Namespace, cancellationToken: ct).ConfigureAwait(false);
            if (pod.Uid is not null && live.Metadata.Uid != pod.Uid) return "was replaced by a new pod of the same name";
            return live.Metadata.DeletionTimestamp is null ? null : "is terminating";
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return "was deleted";
        }
    }

    /// <summary>
    /// The retry policy on its own: transient failures are retried with backoff after
    /// <paramref name="recover"/>; a permanent one, or the same failed request three times in a row,
    /// ends it.
    /// </summary>
    internal static async Task RetryAsync(Func<Task> attempt, Func<Task> recover, Action<string> warn, string what, CancellationToken ct,
        Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        delay ??= Task.Delay;
        var wait = TimeSpan.FromMilliseconds(250);
        string? lastFailure = null;
        var sameFailures = 0;
        while (true)
        {
            try
            {
                await attempt().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && IsTransient(e))
            {
                sameFailures = e.Message == lastFailure ? sameFailures + 1 : 1;
                lastFailure = e.Message;
                if (e is PodRequestFailedException && sameFailures >= SameFailureLimit)
                    throw new DevModeException($"{what} failed {sameFailures} times in a row: {e.Message}", "Fix the cause shown in the log (Watch-DevLog), then Sync-DevService or restart the session.");
                warn($"{what} interrupted ({e.Message}); retrying in {wait.TotalSeconds:0.#}s, pending changes are kept");
                await recover().ConfigureAwait(false);
                await delay(wait, ct).ConfigureAwait(false);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    public async Task DropAsync()
    {
        var agent = Interlocked.Exchange(ref _agent, null);
        if (agent is null) return;
        ConnectionChanged?.Invoke(false);
        await agent.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Worth another try: the pod or the network went away, or the server was busy. Not: the API
    /// refused the request for good (401, 403, 400, 422) or the session ended elsewhere.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        DevSessionEndedException or DevModeException => false,
        KubeApiException k => k.Status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity),
        k8s.Autorest.HttpOperationException h => KubeApiException.Wrap(h) is not KubeApiException k || IsTransient(k),
        OperationCanceledException oc => oc.InnerException is TimeoutException,
        IOException or ExecException or HttpRequestException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or TimeoutException => true,
        _ => false,
    };

    public ValueTask DisposeAsync() => new(DropAsync());
}

/// <summary>The agent ran a request and it failed (a tar that could not extract): retried a few times, then permanent.</summary>
public sealed class PodRequestFailedException(string message, int status) : ExecException(message, status);
