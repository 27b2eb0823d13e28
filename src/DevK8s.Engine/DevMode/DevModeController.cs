using System.Net;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Exec;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>The live dev pod a session works against; <paramref name="Uid"/> tells it from a later pod of the same name (StatefulSets).</summary>
public sealed record DevPod(string Name, string Container, string Image, string? Uid = null);

/// <summary>A dev template ready to be written: what <see cref="DevModeController.CommitAsync"/> needs.</summary>
public sealed class DevChange
{
    internal DevChange(DevSessionRecord session, DevTemplatePlan plan, bool force, string? requireSession, Action<string>? warn)
        => (Session, Plan, Force, RequireSession, Warn) = (session, plan, force, requireSession, warn);

    public DevSessionRecord Session { get; }
    public DevTemplatePlan Plan { get; }
    internal bool Force { get; }
    internal string? RequireSession { get; }
    internal Action<string>? Warn { get; }
    internal OriginalSpec Original { get; set; } = null!;
    /// <summary>The session this change replaces, if the service was in dev mode already.</summary>
    public DevSessionRecord? Previous { get; internal set; }
    /// <summary>Set just before the write: from here on a failure must be undone.</summary>
    public bool Written { get; internal set; }
    /// <summary>True when the write produced a new pod template (a rollout).</summary>
    public bool RolledOut { get; internal set; }
    /// <summary>What dev mode changed, from the recorded original and the template as written.</summary>
    public IReadOnlyList<string> Changes { get; internal set; } = [];
}

/// <summary>
/// Writes dev mode onto a workload and takes it off again. Every write is one resourceVersion-checked
/// replace that carries both the recorded original and the dev template; a conflict re-reads,
/// re-checks ownership and tries again. Undoing a failed change is the caller's job (DevSessions),
/// which keeps the whole write inside its rollback scope.
/// </summary>
// The API calls here (get/update deployments and statefulsets, list pods, pods/exec) are in the
// doctor's table, Doctor/ClusterPermissions.cs: keep it in step when a call is added.
public sealed class DevModeController(KubeTarget target, ServiceConfig service)
{
    private const int ConflictRetries = 8;

    /// <summary>The current record, or null when the service is in prod mode.</summary>
    public async Task<DevSessionRecord?> ReadSessionAsync(CancellationToken ct) =>
        RecordOf(await RequireAsync(ct).ConfigureAwait(false));

    /// <summary>
    /// Reads the workload, checks ownership and the tools the plan needs, resolves the original argv
    /// when the plan needs it, and returns the change to commit. Nothing is written.
    /// </summary>
    public async Task<DevChange> PrepareAsync(DevSessionRecord session, DevTemplatePlan plan, bool force, bool mustBeInDevMode,
        CancellationToken ct, string? requireSession = null, Action<string>? warn = null)
    {
        var change = new DevChange(session, plan, force, requireSession, warn);
        var workload = await RequireAsync(ct).ConfigureAwait(false);
        await CheckAsync(workload, change, ct).ConfigureAwait(false);
        if (mustBeInDevMode && change.Previous is null)
            throw new DevModeException($"{service.Name} is not in dev mode.", $"Start-DevService {service.Name} -Strategy {session.Strategy}.");
        change.Original = OriginalOf(workload);
        var originalContainer = FindContainer(change.Original.Template.Spec);
        // A spec that names its command gives the argv for free: record it for any later switch.
        if (change.Original.Argv is null && originalContainer.Command is { Count: > 0 })
            change.Original.Argv = [.. originalContainer.Command, .. originalContainer.Args ?? []];
        if (plan.RequiredTools.Count > 0 && plan.Image is null)
            await CheckToolsAsync(workload, plan.RequiredTools, ct).ConfigureAwait(false);
        // Resolved once, when dev mode is entered and a prod pod still runs the app: later (a switch,
        // another plan's image) the running pod may execute a supervisor or another entrypoint.
        if (change.Original.Argv is null && (plan.NeedsArgv || change.Previous is null))
        {
            try { change.Original.Argv = [.. await ResolveArgvAsync(workload, ct).ConfigureAwait(false)]; }
            catch (Exception e) when (!plan.NeedsArgv && e is not OperationCanceledException) { /* not needed by this plan */ }
        }
        return change;
    }

    /// <summary>
    /// Writes the change (retrying conflicts), waits for the rollout when the template changed and
    /// returns the ready dev pod (null for plans that keep the template).
    /// </summary>
    public async Task<DevPod?> CommitAsync(DevChange change, IProgress<string>? progress, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var workload = await RequireAsync(ct).ConfigureAwait(false);
            await CheckAsync(workload, change, ct).ConfigureAwait(false);
            var recorded = OriginalOf(workload);
            // Keep what was learnt while preparing (argv) on top of whatever is recorded now.
            recorded.Argv ??= change.Original.Argv;
            change.Original = recorded;
            var built = DevTemplateBuilder.Build(recorded, change.Plan, FindContainer);
            // Not metadata.generation: a Deployment bumps it for annotation changes too.
            var before = (KubernetesJson.Serialize(workload.Template), workload.Replicas);
            workload.Template = built.Template;
            workload.Replicas = built.Replicas;
            workload.Annotations[DevAnnotations.Original] = recorded.ToJson();
            workload.Annotations[DevAnnotations.Session] = change.Session.ToJson();
            progress?.Report($"{service.Workload}: applying the {change.Session.Strategy} dev template");
            change.Written = true;
            try
            {
                await workload.ReplaceAsync(ct).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.Status == HttpStatusCode.Conflict && attempt < ConflictRetries)
            {
                continue; // someone wrote in between: read again, check ownership again
            }
            change.RolledOut = before != (KubernetesJson.Serialize(workload.Template), workload.Replicas);
            change.Changes = DevModeChanges.Describe(recorded, workload.Template, workload.Replicas, service.Container);
            // Going back to the recorded template needs no wait, as Stop-DevService does not wait:
            // nothing of DevK8s runs in those pods.
            if (change.Plan.KeepTemplate) return null;
            var watch = change.Plan.Watch is { } w ? (w, built.TemplateId!, FindContainer(built.Template.Spec).Name) : ((RolloutWatchOptions, string, string)?)null;
            var deadline = change.Plan.Watch?.Deadline ?? TimeSpan.FromMinutes(3);
            if (change.Plan.ReadyOnceAttached) return await WaitForRunningDevPodAsync(workload, change.Session.SessionId, progress, deadline, ct, watch).ConfigureAwait(false);
            if (change.RolledOut) await WaitForRolloutAsync(workload, progress, deadline, ct, watch).ConfigureAwait(false);
            return await FindDevPodAsync(change.Session.SessionId, ct).ConfigureAwait(false)
                ?? throw new DevModeException($"{service.Workload} rolled out, but no ready pod runs its dev template {built.TemplateId}.");
        }
    }

    /// <summary>Puts the recorded original back and removes the session. Returns false if the service was in prod mode.</summary>
    /// <param name="onlySession">Restore only if this session still holds the workload (undoing our own failed change).</param>
    public async Task<bool> RestoreAsync(string owner, bool force, CancellationToken ct, string? onlySession = null, Action<string>? warn = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var workload = await RequireAsync(ct).ConfigureAwait(false);
            var existing = RecordOf(workload);
            if (onlySession is not null && existing?.SessionId != onlySession) return false;
            if (attempt == 0) await CheckOwnerAsync(existing, owner, force, warn, ct).ConfigureAwait(false);
            if (existing is not null && !force && WorkloadDriftReader.Read(workload.Metadata, existing) is { Count: > 0 } drifts)
                throw new DevModeDriftException(service.Name, drifts);
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
            catch (KubeApiException e) when (e.Status == HttpStatusCode.Conflict && attempt < ConflictRetries)
            {
                // The controller updated status between our read and write: read again.
            }
        }
    }

    public async Task WaitForRolloutAsync(IProgress<string>? progress, TimeSpan timeout, CancellationToken ct) =>
        await WaitForRolloutAsync(await RequireAsync(ct).ConfigureAwait(false), progress, timeout, ct).ConfigureAwait(false);

    private async Task WaitForRolloutAsync(Workload workload, IProgress<string>? progress, TimeSpan timeout, CancellationToken ct,
        (RolloutWatchOptions Options, string TemplateId, string Container)? watch = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (true)
        {
            var (done, status) = await workload.RolloutStatusAsync(ct).ConfigureAwait(false);
            if (done) return;
            if (status != last) progress?.Report($"waiting for {workload.Ref}: {status}");
            last = status;
            // A plan that asks for it fails fast with the reason (RolloutWatch.cs) instead of waiting out the deadline.
            if (watch is { } w) await RolloutWatch.CheckAsync(target, workload.LabelSelector(), w.TemplateId, w.Container, w.Options, ct).ConfigureAwait(false);
            if (DateTime.UtcNow > deadline && watch is { } late)
                throw await RolloutWatch.DeadlineExceededAsync(target, workload.LabelSelector(), late.TemplateId, late.Container, late.Options, status, ct).ConfigureAwait(false);
            if (DateTime.UtcNow > deadline)
                throw new DevModeException($"{workload.Ref} did not become ready in dev mode: rollout not finished after {timeout.TotalSeconds:0}s ({status}).",
                    "Check the dev pod's logs (Watch-DevLog) and events; the container command may fail under the dev template.");
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    /// <summary>For plans whose pod gets ready only once attached: waits until a pod of the dev template runs.</summary>
    private async Task<DevPod> WaitForRunningDevPodAsync(Workload workload, string sessionId, IProgress<string>? progress, TimeSpan timeout, CancellationToken ct,
        (RolloutWatchOptions Options, string TemplateId, string Container)? watch)
    {
        var deadline = DateTime.UtcNow + timeout;
        progress?.Report($"waiting for a pod of {workload.Ref} to run the dev template");
        while (true)
        {
            if (await FindDevPodAsync(sessionId, ct, readyOnly: false).ConfigureAwait(false) is { } pod) return pod;
            if (watch is { } w) await RolloutWatch.CheckAsync(target, workload.LabelSelector(), w.TemplateId, w.Container, w.Options, ct).ConfigureAwait(false);
            if (DateTime.UtcNow > deadline)
                throw new DevModeException($"no pod of {workload.Ref} runs the dev template after {timeout.TotalSeconds:0}s.",
                    "Check the pod's events (is it scheduled, can the node pull the image?) and its logs (Watch-DevLog).");
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The ready, not terminating pod running the live dev template. With <paramref name="sessionId"/>,
    /// fails with <see cref="DevSessionEndedException"/> once that session no longer holds the workload.
    /// </summary>
    /// <param name="readyOnly">False: a running pod will do (one that gets ready only once a runtime attaches to it).</param>
    public async Task<DevPod?> FindDevPodAsync(string? sessionId, CancellationToken ct, bool readyOnly = true)
    {
        var workload = await RequireAsync(ct).ConfigureAwait(false);
        var record = RecordOf(workload);
        if (sessionId is not null && record?.SessionId != sessionId)
            throw new DevSessionEndedException(service.Name, sessionId, record);
        var templateId = DevTemplateBuilder.IdOf(workload.Template);
        if (templateId is null) return null;
        var pods = await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: workload.LabelSelector(), cancellationToken: ct).ConfigureAwait(false);
        var pod = pods.Items
            .Where(p => p.Metadata.DeletionTimestamp is null
                        && DevTemplateBuilder.IdOf(new V1PodTemplateSpec { Metadata = p.Metadata }) == templateId
                        && p.Status?.Phase == "Running"
                        && p.Status.ContainerStatuses?.Any(c => c.Name == FindContainer(p.Spec).Name && (readyOnly ? c.Ready : c.State?.Running is not null)) == true)
            .OrderByDescending(p => p.Metadata.CreationTimestamp)
            .FirstOrDefault();
        if (pod is null) return null;
        var container = FindContainer(pod.Spec);
        return new DevPod(pod.Metadata.Name, container.Name, container.Image, pod.Metadata.Uid);
    }

    private async Task CheckAsync(Workload workload, DevChange change, CancellationToken ct)
    {
        var existing = RecordOf(workload);
        if (change.RequireSession is not null && existing?.SessionId != change.RequireSession)
            throw new DevSessionEndedException(service.Name, change.RequireSession, existing);
        // The session we checked when preparing may be the one we are replacing: check a new one only.
        if (change.Previous is null || existing?.SessionId != change.Previous.SessionId)
            await CheckOwnerAsync(existing, change.Session.Owner, change.Force, change.Warn, ct).ConfigureAwait(false);
        change.Previous ??= existing;
    }

    /// <summary>
    /// The one ownership check. The same owner may always go on; someone else's live session (its
    /// Lease renewed) needs -Force; a stale one (Lease expired or gone: its process is gone) is taken
    /// over with a warning that names the previous owner and when they were last seen.
    /// </summary>
    private async Task CheckOwnerAsync(DevSessionRecord? existing, string me, bool force, Action<string>? warn, CancellationToken ct)
    {
        if (existing is null || SameOwner(existing.Owner, me)) return;
        var lease = await SessionLease.ReadAsync(target, service.Workload, ct).ConfigureAwait(false);
        var live = lease is { Live: true } && lease.Holder.StartsWith(existing.Owner + "/", StringComparison.Ordinal);
        if (live && !force)
            throw new DevModeOwnedException(service.Name, existing.Owner, existing.StartedAt, existing.Strategy);
        var seen = lease?.LastSeen is { } t ? $"last seen {t.ToLocalTime():yyyy-MM-dd HH:mm:ss}" : "never seen renewing a lease";
        warn?.Invoke(live
            ? $"{service.Name}: taking over the live {existing.Strategy} session of {existing.Owner} (-Force)."
            : $"{service.Name}: the {existing.Strategy} session of {existing.Owner} is stale ({seen}); their process is gone, so it is taken over without -Force.");
    }

    /// <summary>The recorded original; in prod mode, the live spec is the original.</summary>
    private static OriginalSpec OriginalOf(Workload workload) =>
        workload.Annotations.TryGetValue(DevAnnotations.Original, out var saved)
            ? OriginalSpec.FromJson(saved)
            : new OriginalSpec { Replicas = workload.Replicas, Template = workload.Template };

    private static DevSessionRecord? RecordOf(Workload workload) =>
        DevSessionRecord.TryParse(workload.Annotations.TryGetValue(DevAnnotations.Session, out var s) ? s : null);

    private V1Container FindContainer(V1PodSpec spec) =>
        (service.Container is null ? spec.Containers.FirstOrDefault() : spec.Containers.FirstOrDefault(c => c.Name == service.Container))
        ?? throw new DevModeException($"{service.Workload} has no container named '{service.Container}'. Containers: {string.Join(", ", spec.Containers.Select(c => c.Name))}.",
            "Fix 'container' for this service in devk8s.yaml.");

    private async Task<Workload> RequireAsync(CancellationToken ct) =>
        await Workload.ReadAsync(target, service.Workload, ct).ConfigureAwait(false)
        ?? throw new DevModeException($"{service.Workload} does not exist in namespace {target.Namespace}.",
            "Deploy the project in prod mode first (Deploy-DevProject), or fix 'workload' in devk8s.yaml.");

    /// <summary>
    /// The app's argv when the spec sets no command: PID 1's argv in a pod that runs the original
    /// command (or, for a workload wrapped by an earlier DevK8s, the argv inside the wrap).
    /// </summary>
    private async Task<IReadOnlyList<string>> ResolveArgvAsync(Workload workload, CancellationToken ct)
    {
        var live = FindContainer(workload.Template.Spec);
        if (RestartSupervisor.Unwrap(live.Command) is { } wrapped) return wrapped;
        var original = FindContainer(OriginalOf(workload).Template.Spec);
        if (!(live.Command ?? []).SequenceEqual(original.Command ?? []) || live.Image != original.Image)
            throw new DevModeException($"{service.Workload} runs another command or image in dev mode, so the original entrypoint cannot be read from its pod.",
                $"Stop-DevService {service.Name}, then start it with this strategy; or set the command in devk8s.yaml.");
        var pod = await AnyRunningPodAsync(workload, ct).ConfigureAwait(false)
            ?? throw new DevModeException($"{service.Workload} sets no command, so DevK8s reads the image's entrypoint from a running pod, but none is running.",
                "Start the service in prod mode first (Deploy-DevProject), or set the process to run in devk8s.yaml.");
        var result = await PodExec.RunAsync(target, pod, live.Name, ["cat", "/proc/1/cmdline"], ct).ConfigureAwait(false);
        var argv = result.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return result.ExitCode == 0 && argv.Length > 0
            ? argv
            : throw new DevModeException($"cannot read the entrypoint of {pod}/{live.Name}: {result.Stderr.Trim()}");
    }

    /// <summary>Owners match ignoring case; this machine's own sessions also as older versions recorded them.</summary>
    private static bool SameOwner(string recorded, string me) =>
        string.Equals(recorded, me, StringComparison.OrdinalIgnoreCase) || (me == OwnerIdentity.Current && OwnerIdentity.IsCurrent(recorded));

    private async Task CheckToolsAsync(Workload workload, IReadOnlyList<string> tools, CancellationToken ct)
    {
        var container = FindContainer(workload.Template.Spec);
        var pod = await AnyRunningPodAsync(workload, ct).ConfigureAwait(false);
        if (pod is null) return; // checked again by the strategy once the dev pod runs
        ExecResult result;
        try
        {
            result = await PodExec.RunAsync(target, pod, container.Name,
                ["/bin/sh", "-c", ContainerScripts.ToolProbeFor(tools)], ct).ConfigureAwait(false);
        }
        catch (ExecException e) when (e.Message.Contains("no such file", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            throw new DevModeException($"image {container.Image} has no /bin/sh ({e.Message}). This dev loop runs through sh and {string.Join(", ", tools)}.",
                $"Use -Strategy Image or Intercept for {service.Name}, or base the image on one with a shell (busybox, debian, alpine).");
        }
        var missing = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("missing:")).Select(l => l[8..]).ToList();
        if (missing.Count > 0 || result.ExitCode != 0)
            throw new DevModeException($"image {container.Image} lacks {string.Join(", ", missing)}: this dev loop needs sh, {string.Join(", ", tools)} in the container.",
                $"Use -Strategy Image or Intercept for {service.Name}, or add those tools (busybox has them all) to the image.");
    }

    private async Task<string?> AnyRunningPodAsync(Workload workload, CancellationToken ct)
    {
        var pods = await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: workload.LabelSelector(), cancellationToken: ct).ConfigureAwait(false);
        // Exec needs the container itself running, not just the pod scheduled.
        return pods.Items.FirstOrDefault(p => p.Status?.Phase == "Running" && p.Metadata.DeletionTimestamp is null
            && p.Status.ContainerStatuses?.All(c => c.State?.Running is not null) == true)?.Metadata.Name;
    }
}
