using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Exec;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>How dev mode should change the workload's pod template.</summary>
public sealed record DevPatchOptions(Strategy Strategy, bool WrapInSupervisor, IReadOnlyList<string>? CommandOverride = null, bool RequireTools = true);

/// <summary>The live dev pod a session works against.</summary>
public sealed record DevPod(string Name, string Container, string Image);

/// <summary>
/// Enters and leaves dev mode. Entering is one replace of the workload that both records the
/// exact original (annotations) and applies the dev template; leaving puts the original back.
/// A failure or Ctrl+C while entering restores the original, so a workload is never half-patched.
/// </summary>
public sealed class DevModeController(KubeTarget target, ServiceConfig service)
{
    public const string SessionIdAnnotation = "devk8s.io/session-id";

    /// <summary>Checks ownership and returns the current record, or null when the service is in prod mode.</summary>
    public async Task<DevSessionRecord?> ReadSessionAsync(CancellationToken ct)
    {
        var workload = await RequireAsync(ct).ConfigureAwait(false);
        return DevSessionRecord.TryParse(workload.Annotations.TryGetValue(DevAnnotations.Session, out var s) ? s : null);
    }

    public async Task<DevPod> EnterAsync(DevSessionRecord session, DevPatchOptions options, bool force, IProgress<string>? progress, CancellationToken ct)
    {
        var workload = await RequireAsync(ct).ConfigureAwait(false);
        var existing = DevSessionRecord.TryParse(workload.Annotations.TryGetValue(DevAnnotations.Session, out var s) ? s : null);
        if (existing is not null && existing.Owner != session.Owner && !force)
            throw new DevModeOwnedException(service.Name, existing.Owner, existing.StartedAt, existing.Strategy);

        // A takeover keeps the first recorded original: the live template is already a dev one.
        var original = existing is not null && workload.Annotations.TryGetValue(DevAnnotations.Original, out var saved)
            ? OriginalSpec.FromJson(saved)
            : new OriginalSpec { Replicas = workload.Replicas, Template = workload.Template };

        var originalContainer = FindContainer(original.Template);
        if (options.RequireTools)
            await CheckToolsAsync(workload, originalContainer, ct).ConfigureAwait(false);
        var argv = options.WrapInSupervisor
            ? options.CommandOverride ?? await OriginalArgvAsync(workload, originalContainer, ct).ConfigureAwait(false)
            : null;

        var devTemplate = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(original.Template));
        var container = FindContainer(devTemplate);
        // A dev process restarts on purpose and may start slowly: probes must not kill it.
        container.LivenessProbe = null;
        container.StartupProbe = null;
        if (argv is not null)
        {
            container.Command = RestartSupervisor.Wrap(argv);
            container.Args = null;
        }
        devTemplate.Metadata ??= new V1ObjectMeta();
        devTemplate.Metadata.Annotations ??= new Dictionary<string, string>();
        devTemplate.Metadata.Annotations[SessionIdAnnotation] = session.SessionId;

        workload.Template = devTemplate;
        workload.Replicas = 1;
        workload.Annotations[DevAnnotations.Original] = original.ToJson();
        workload.Annotations[DevAnnotations.Session] = session.ToJson();
        progress?.Report($"patching {service.Workload} into dev mode ({session.Strategy})");
        await workload.ReplaceAsync(ct).ConfigureAwait(false);

        try
        {
            await WaitForRolloutAsync(workload, progress, TimeSpan.FromMinutes(3), ct).ConfigureAwait(false);
            return await FindDevPodAsync(session.SessionId, ct).ConfigureAwait(false)
                ?? throw new DevModeException($"{service.Workload} rolled out, but no ready pod carries session {session.SessionId}.");
        }
        catch (Exception failure)
        {
            // Never leave a half-entered dev mode behind: put the original back, even on Ctrl+C.
            progress?.Report($"entering dev mode failed ({failure.GetType().Name}); restoring {service.Workload}");
            using var restoreTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await RestoreAsync(session.Owner, force: true, restoreTimeout.Token).ConfigureAwait(false);
            if (failure is TimeoutException)
                throw new DevModeException($"{service.Workload} did not become ready in dev mode: {failure.Message}. The original was restored.",
                    "Check the dev pod's logs (Watch-DevLog) and events; the container command may fail under the dev template.");
            throw;
        }
    }

    /// <summary>
    /// Records a session that does not change the pod template (Intercept: Telepresence injects its
    /// own agent), so ownership and Get-DevService work the same for every strategy.
    /// </summary>
    public async Task MarkAsync(DevSessionRecord session, bool force, CancellationToken ct)
    {
        var workload = await RequireAsync(ct).ConfigureAwait(false);
        var existing = DevSessionRecord.TryParse(workload.Annotations.TryGetValue(DevAnnotations.Session, out var s) ? s : null);
        if (existing is not null && existing.Owner != session.Owner && !force)
            throw new DevModeOwnedException(service.Name, existing.Owner, existing.StartedAt, existing.Strategy);
        if (workload.Annotations.ContainsKey(DevAnnotations.Original))
            throw new DevModeException($"{service.Name} is in dev mode with a changed pod template ({existing?.Strategy}); it must be restored before an intercept.",
                $"Stop-DevService {service.Name}, then start it again with -Strategy Intercept.");
        workload.Annotations[DevAnnotations.Session] = session.ToJson();
        await workload.ReplaceAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Puts the recorded original back and removes the session. Returns false if the service was in prod mode.</summary>
    public async Task<bool> RestoreAsync(string owner, bool force, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var workload = await RequireAsync(ct).ConfigureAwait(false);
            var existing = DevSessionRecord.TryParse(workload.Annotations.TryGetValue(DevAnnotations.Session, out var s) ? s : null);
            if (existing is not null && existing.Owner != owner && !force)
                throw new DevModeOwnedException(service.Name, existing.Owner, existing.StartedAt, existing.Strategy);
            if (workload.Annotations.TryGetValue(DevAnnotations.Original, out var saved))
            {
                var original = OriginalSpec.FromJson(saved);
                workload.Template = original.Template;
                workload.Replicas = original.Replicas;
            }
            else if (existing is null) return false;
            workload.Annotations.Remove(DevAnnotations.Original);
            workload.Annotations.Remove(DevAnnotations.Session);
            try
            {
                await workload.ReplaceAsync(ct).ConfigureAwait(false);
                return true;
            }
            catch (KubeApiException e) when (e.Status == System.Net.HttpStatusCode.Conflict && attempt < 5)
            {
                // The controller updated status between our read and write: read again.
            }
        }
    }

    public async Task WaitForRolloutAsync(IProgress<string>? progress, TimeSpan timeout, CancellationToken ct) =>
        await WaitForRolloutAsync(await RequireAsync(ct).ConfigureAwait(false), progress, timeout, ct).ConfigureAwait(false);

    private static async Task WaitForRolloutAsync(Workload workload, IProgress<string>? progress, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (true)
        {
            var (done, status) = await workload.RolloutStatusAsync(ct).ConfigureAwait(false);
            if (done) return;
            if (status != last) progress?.Report($"waiting for {workload.Ref}: {status}");
            last = status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"rollout of {workload.Ref} not finished after {timeout.TotalSeconds:0}s ({status})");
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The ready, not terminating pod of this session.</summary>
    public async Task<DevPod?> FindDevPodAsync(string sessionId, CancellationToken ct)
    {
        var workload = await RequireAsync(ct).ConfigureAwait(false);
        var pods = await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: workload.LabelSelector(), cancellationToken: ct).ConfigureAwait(false);
        var pod = pods.Items
            .Where(p => p.Metadata.DeletionTimestamp is null
                        && p.Metadata.Annotations?.TryGetValue(SessionIdAnnotation, out var id) == true && id == sessionId
                        && p.Status?.Phase == "Running"
                        && p.Status.ContainerStatuses?.Any(c => c.Name == ContainerName(p.Spec) && c.Ready) == true)
            .OrderByDescending(p => p.Metadata.CreationTimestamp)
            .FirstOrDefault();
        if (pod is null) return null;
        var container = FindContainer(pod.Spec);
        return new DevPod(pod.Metadata.Name, container.Name, container.Image);
    }

    private string ContainerName(V1PodSpec spec) => FindContainer(spec).Name;

    private V1Container FindContainer(V1PodTemplateSpec template) => FindContainer(template.Spec);

    private V1Container FindContainer(V1PodSpec spec) =>
        (service.Container is null ? spec.Containers.FirstOrDefault() : spec.Containers.FirstOrDefault(c => c.Name == service.Container))
        ?? throw new DevModeException($"{service.Workload} has no container named '{service.Container}'. Containers: {string.Join(", ", spec.Containers.Select(c => c.Name))}.",
            "Fix 'container' for this service in devk8s.yaml.");

    private async Task<Workload> RequireAsync(CancellationToken ct) =>
        await Workload.ReadAsync(target, service.Workload, ct).ConfigureAwait(false)
        ?? throw new DevModeException($"{service.Workload} does not exist in namespace {target.Namespace}.",
            "Deploy the project in prod mode first (Deploy-DevProject), or fix 'workload' in devk8s.yaml.");

    /// <summary>The spec's command, or (when the image supplies it) PID 1's argv read from a running pod.</summary>
    private async Task<IReadOnlyList<string>> OriginalArgvAsync(Workload workload, V1Container container, CancellationToken ct)
    {
        if (RestartSupervisor.IsWrapped(container.Command))
            return RestartSupervisor.Unwrap(container.Command)!;
        if (container.Command is { Count: > 0 })
            return [.. container.Command, .. container.Args ?? []];
        var pod = await AnyRunningPodAsync(workload, ct).ConfigureAwait(false)
            ?? throw new DevModeException($"{service.Workload} sets no command, so DevK8s reads the image's entrypoint from a running pod, but none is running.",
                "Start the service in prod mode first (Deploy-DevProject), or set the process to run in devk8s.yaml.");
        var result = await PodExec.RunAsync(target, pod, container.Name, ["cat", "/proc/1/cmdline"], ct).ConfigureAwait(false);
        var argv = result.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return result.ExitCode == 0 && argv.Length > 0
            ? argv
            : throw new DevModeException($"cannot read the entrypoint of {pod}/{container.Name}: {result.Stderr.Trim()}");
    }

    private async Task CheckToolsAsync(Workload workload, V1Container container, CancellationToken ct)
    {
        var pod = await AnyRunningPodAsync(workload, ct).ConfigureAwait(false);
        if (pod is null) return; // checked again by the sync agent once the dev pod runs
        ExecResult result;
        try
        {
            result = await PodExec.RunAsync(target, pod, container.Name, ["/bin/sh", "-c", "for t in tar head find md5sum kill; do command -v $t >/dev/null || echo missing:$t; done"], ct).ConfigureAwait(false);
        }
        catch (ExecException e) when (e.Message.Contains("no such file", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new DevModeException($"image {container.Image} has no /bin/sh ({e.Message}). Dev mode wraps and syncs through sh and tar.",
                $"Use -Strategy Image for {service.Name}, or base the image on one with a shell (busybox, debian, alpine).");
        }
        var missing = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("missing:")).Select(l => l[8..]).ToList();
        if (missing.Count > 0 || result.ExitCode != 0)
            throw new DevModeException($"image {container.Image} lacks {string.Join(", ", missing)}: dev mode needs sh, tar, head, find, md5sum and kill in the container.",
                $"Use -Strategy Image for {service.Name}, or add those tools (busybox has them all) to the image.");
    }

    private async Task<string?> AnyRunningPodAsync(Workload workload, CancellationToken ct)
    {
        var pods = await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: workload.LabelSelector(), cancellationToken: ct).ConfigureAwait(false);
        // Exec needs the container itself running, not just the pod scheduled.
        return pods.Items.FirstOrDefault(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null
            && p.Status.ContainerStatuses?.All(c => c.State?.Running is not null) == true)?.Metadata.Name;
    }
}
