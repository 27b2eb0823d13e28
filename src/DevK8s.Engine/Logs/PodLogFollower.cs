using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using DevK8s.Engine.Cluster;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.Logs;

// The permissions the API calls in this file need are rows of Doctor/ClusterPermissions.cs, which the doctor checks.
/// <summary>
/// Follows the logs of every container of every pod matching a selector: pods that appear later,
/// and containers that restart (each new instance is followed from where the last one ended).
/// The connection's HTTP timeout is infinite (KubeTarget), so follows outlive the client's 100 s default.
/// </summary>
public sealed class PodLogFollower(KubeTarget target, string service, string labelSelector, ILogSink sink, int? tail, DateTimeOffset? since)
{
    private readonly ConcurrentDictionary<(string Pod, string Container), Task> _following = new();

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var pods = await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: labelSelector, cancellationToken: ct).ConfigureAwait(false);
                foreach (var pod in pods.Items)
                    foreach (var status in pod.Status?.ContainerStatuses ?? [])
                    {
                        var key = (pod.Metadata.Name, status.Name);
                        var followed = _following.TryGetValue(key, out var running);
                        if (followed && !running!.IsCompleted) continue;
                        if (_refused.ContainsKey(key)) continue;
                        // A running container (again, after a restart) is followed; a stopped one once.
                        if (status.State?.Running is null && (followed || status.State?.Terminated is null)) continue;
                        _following[key] = FollowAsync(pod.Metadata.Name, status.Name, ct);
                    }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                sink.Write(new DevLogRecord(DateTimeOffset.Now, service, null, null, "warning", $"listing pods failed: {KubeApiException.Wrap(e).Message}; retrying", LogSource.Sync));
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
        }
    }

    private readonly ConcurrentDictionary<(string, string), DateTimeOffset> _lastSeen = new();
    private readonly ConcurrentDictionary<(string, string), DateTimeOffset> _firstFollowed = new();

    private async Task FollowAsync(string pod, string container, CancellationToken ct)
    {
        var key = (pod, container);
        var resumeAt = _lastSeen.TryGetValue(key, out var t) ? t : (DateTimeOffset?)null;
        // -Tail and -Since apply to the first follow; a later one (the container restarted) shows
        // everything the new instance wrote since then, minus lines already written.
        var refollow = !_firstFollowed.TryAdd(key, DateTimeOffset.Now);
        var from = refollow ? resumeAt ?? _firstFollowed[key] : since;
        try
        {
            var sinceSeconds = from is { } s ? (int?)Math.Max(1, (int)Math.Ceiling((DateTimeOffset.Now - s).TotalSeconds) + 1) : null;
            using var response = await target.Client.CoreV1.ReadNamespacedPodLogWithHttpMessagesAsync(
                pod, target.Namespace, container: container, follow: true, timestamps: true,
                tailLines: refollow ? null : tail, sinceSeconds: sinceSeconds, cancellationToken: ct).ConfigureAwait(false);
            using var reader = new StreamReader(response.Body);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                var (time, message) = Split(line);
                // Resuming repeats the line at the resume second: skip what was already written.
                if (resumeAt is { } r && time <= r) continue;
                _lastSeen[key] = time;
                _interrupted.TryRemove(key, out _);
                sink.Write(new DevLogRecord(time, service, pod, container, "stdout", message, LogSource.Cluster));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var error = KubeApiException.Wrap(e);
            if (error is KubeApiException { Status: HttpStatusCode.BadRequest or HttpStatusCode.NotFound })
                return; // not ready for logs yet (ContainerCreating) or gone: the next listing decides
            if (error is KubeApiException { Status: < HttpStatusCode.InternalServerError } refusal)
            {
                // A refusal (403 without pods/log, 401, 422...) repeats on every retry: say so once and stop following this container.
                _refused[key] = true;
                Warn(pod, container, $"cannot read the logs of {pod}/{container}: {refusal.Message}." +
                    (refusal.Status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized
                        ? $" Reading logs needs 'get' on pods/log in namespace {target.Namespace}; Test-DevEnvironment lists what is missing."
                        : ""));
                return;
            }
            // A server error is said once until a line arrives again; a dropped connection (the pod went
            // away) stays quiet. Either way the next listing follows the container again if it still runs.
            if (error is KubeApiException && _interrupted.TryAdd(key, true))
                Warn(pod, container, $"following the logs of {pod}/{container} failed: {error.Message}; retrying");
        }
    }

    private readonly ConcurrentDictionary<(string, string), bool> _refused = new();
    private readonly ConcurrentDictionary<(string, string), bool> _interrupted = new();

    private void Warn(string pod, string container, string message) =>
        sink.Write(new DevLogRecord(DateTimeOffset.Now, service, pod, container, "warning", message, LogSource.Sync));

    private static (DateTimeOffset, string) Split(string line)
    {
        var space = line.IndexOf(' ');
        if (space > 0 && DateTimeOffset.TryParse(line[..space], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return (time, line[(space + 1)..]);
        return (DateTimeOffset.Now, line);
    }
}
