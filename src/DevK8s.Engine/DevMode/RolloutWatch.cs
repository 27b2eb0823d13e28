using DevK8s.Engine.Cluster;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// How a plan's rollout is watched: fail fast on what never heals by waiting (image pull errors,
/// crashes, a terminated or OOM-killed container), and give up at <see cref="Deadline"/> when the
/// pod never gets ready. <see cref="ImageHint"/> is added to image pull failures (e.g. the KEP-1755 name).
/// </summary>
public sealed record RolloutWatchOptions(TimeSpan Deadline, string? ImageHint = null);

/// <summary>Why a dev rollout failed, with the evidence a user needs: the container's last lines and the latest Warning event.</summary>
public sealed class RolloutFailedException(string reason, string message, string recommendedAction, IReadOnlyList<string> lastLines, string? warning)
    : Exception(message)
{
    /// <summary>ImagePull, CrashLoopBackOff, Terminated, OOMKilled, CreateContainer or ReadinessDeadline.</summary>
    public string Reason { get; } = reason;
    public string RecommendedAction { get; } = recommendedAction;
    public IReadOnlyList<string> LastLines { get; } = lastLines;
    public string? Warning { get; } = warning;
}

/// <summary>
/// Checks the pods of a template being rolled out, in Skaffold's order of diagnosis: a waiting
/// container's reason, a terminated container (exit code, OOMKilled) with its last log lines,
/// otherwise the pod's latest Warning event.
/// </summary>
public static class RolloutWatch
{
    private const int TailLines = 10;
    private static readonly string[] PullReasons = ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable"];
    private static readonly string[] CreateReasons = ["CreateContainerConfigError", "CreateContainerError", "RunContainerError", "StartError"];

    /// <summary>Throws <see cref="RolloutFailedException"/> when a pod of <paramref name="templateId"/> failed in a way waiting will not fix.</summary>
    public static async Task CheckAsync(KubeTarget target, string labelSelector, string templateId, string container, RolloutWatchOptions options, CancellationToken ct)
    {
        foreach (var pod in await PodsAsync(target, labelSelector, templateId, ct).ConfigureAwait(false))
        {
            var status = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == container);
            if (status is null) continue;
            var waiting = status.State?.Waiting;
            var terminated = status.State?.Terminated ?? (status.RestartCount > 0 ? status.LastState?.Terminated : null);
            if (waiting?.Reason is { } w && PullReasons.Contains(w))
                throw await FailAsync(target, pod, container, "ImagePull", $"the node cannot pull {status.Image} ({w}: {waiting.Message?.Trim()})",
                    "Check that the image exists in the registry and that the node can reach that registry by the name in the image." +
                    (options.ImageHint is null ? "" : " " + options.ImageHint), previous: false, ct).ConfigureAwait(false);
            if (waiting?.Reason is { } c && CreateReasons.Contains(c))
                throw await FailAsync(target, pod, container, "CreateContainer", $"the container cannot start ({c}: {waiting.Message?.Trim()})",
                    "Fix the container's command, environment or volumes (see the event), then save to rebuild.", previous: false, ct).ConfigureAwait(false);
            // A workload's container must keep running: any exit, even code 0, is a failure here.
            if (terminated is { } t)
            {
                var exited = $"exit code {t.ExitCode}{(t.Reason is null ? "" : $", {t.Reason}")}";
                var (reason, what) = t.Reason == "OOMKilled"
                    ? ("OOMKilled", $"the container was killed for running out of memory (OOMKilled, limit {Limit(pod, container)})")
                    : waiting?.Reason == "CrashLoopBackOff"
                        ? ("CrashLoopBackOff", $"the container keeps exiting (CrashLoopBackOff, {exited})")
                        : ("Terminated", $"the container exited ({exited})");
                if (t.ExitCode == 0) what += "; a service's process must keep running: check the image's command (CMD/ENTRYPOINT) or the workload's";
                throw await FailAsync(target, pod, container, reason, what,
                    reason == "OOMKilled" ? "Raise the container's memory limit in the manifest, or make the app use less, then save to rebuild."
                        : "Fix the crash (the last log lines are above), then save to rebuild.",
                    previous: status.State?.Terminated is null, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The deadline passed without a ready pod: says why as well as the pods tell.</summary>
    public static async Task<RolloutFailedException> DeadlineExceededAsync(KubeTarget target, string labelSelector, string templateId, string container,
        RolloutWatchOptions options, string rolloutStatus, CancellationToken ct)
    {
        var pod = (await PodsAsync(target, labelSelector, templateId, ct).ConfigureAwait(false)).FirstOrDefault();
        var what = $"no pod of the new template became ready within {options.Deadline.TotalSeconds:0}s ({rolloutStatus})";
        const string action = "Check the readiness probe against the new code (the last log lines and the event above), or raise image.rolloutTimeoutSeconds in devk8s.yaml.";
        if (pod is null) return new RolloutFailedException("ReadinessDeadline", what + "; no pod was even created.", action, [], null);
        var unscheduled = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
        if (unscheduled is not null) what += $"; the pod is not scheduled: {unscheduled.Message}";
        var status = pod.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == container);
        var probe = pod.Spec.Containers.FirstOrDefault(c => c.Name == container)?.ReadinessProbe;
        // Events are best-effort (a busy kubelet drops them): the pod's own status always says this much.
        if (status is { Ready: false, State.Running: not null } && probe is not null)
            what += $"; {container} runs but its readiness probe ({Describe(probe)}) has not passed";
        else if (status?.State?.Waiting is { } waiting)
            what += $"; {container} is waiting: {waiting.Reason} {waiting.Message}".TrimEnd();
        return await FailAsync(target, pod, container, "ReadinessDeadline", what, action, previous: false, ct).ConfigureAwait(false);
    }

    private static async Task<IReadOnlyList<V1Pod>> PodsAsync(KubeTarget target, string labelSelector, string templateId, CancellationToken ct)
    {
        var pods = await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: labelSelector, cancellationToken: ct).ConfigureAwait(false);
        return pods.Items.Where(p => p.Metadata.DeletionTimestamp is null
                                     && DevTemplateBuilder.IdOf(new V1PodTemplateSpec { Metadata = p.Metadata }) == templateId)
            .OrderByDescending(p => p.Metadata.CreationTimestamp).ToList();
    }

    private static async Task<RolloutFailedException> FailAsync(KubeTarget target, V1Pod pod, string container, string reason, string what, string action,
        bool previous, CancellationToken ct)
    {
        var lines = await LastLinesAsync(target, pod, container, previous, ct).ConfigureAwait(false);
        var warning = await LatestWarningAsync(target, pod, container, ct).ConfigureAwait(false);
        var message = $"pod {pod.Metadata.Name}: {what}." +
                      (lines.Count == 0 ? "" : $"\nLast log lines of {container}:\n  " + string.Join("\n  ", lines)) +
                      (warning is null ? "" : $"\nLatest warning: {warning}");
        return new RolloutFailedException(reason, message, action, lines, warning);
    }

    private static string Describe(V1Probe probe) =>
        probe.HttpGet is { } h ? $"HTTP GET {h.Path} on port {h.Port}"
        : probe.TcpSocket is { } t ? $"TCP connect to port {t.Port}"
        : probe.Exec is { } e ? $"exec {string.Join(' ', e.Command ?? [])}"
        : "as configured";

    private static string Limit(V1Pod pod, string container) =>
        pod.Spec.Containers.FirstOrDefault(c => c.Name == container)?.Resources?.Limits is { } l && l.TryGetValue("memory", out var m) ? m.ToString() : "none set";

    private static async Task<IReadOnlyList<string>> LastLinesAsync(KubeTarget target, V1Pod pod, string container, bool previous, CancellationToken ct)
    {
        try
        {
            using var stream = await target.Client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, target.Namespace, container,
                previous: previous, tailLines: TailLines, cancellationToken: ct).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            var text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            return []; // no logs yet (the image never ran): the event says why
        }
    }

    private static async Task<string?> LatestWarningAsync(KubeTarget target, V1Pod pod, string container, CancellationToken ct)
    {
        try
        {
            var events = await target.Client.CoreV1.ListNamespacedEventAsync(target.Namespace,
                fieldSelector: $"involvedObject.name={pod.Metadata.Name},type=Warning", cancellationToken: ct).ConfigureAwait(false);
            // About the container first (probe failures, back-off, pull errors), then anything about the pod:
            // node-level warnings repeated for every pod (MissingClusterDNS) would otherwise always win.
            var latest = events.Items
                .OrderByDescending(e => e.InvolvedObject?.FieldPath?.Contains($"{{{container}}}") == true)
                .ThenByDescending(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp).FirstOrDefault();
            return latest is null ? null : $"{latest.Reason}: {latest.Message?.Trim()}";
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            return null;
        }
    }
}
