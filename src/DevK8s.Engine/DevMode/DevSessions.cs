using System.Collections.Concurrent;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// The dev sessions this process drives, and the one path every strategy goes through:
/// check ownership → record → apply the plan → start the runtime → roll back on any failure.
/// </summary>
public static class DevSessions
{
    private static readonly ConcurrentDictionary<string, DevSession> Live = new(StringComparer.OrdinalIgnoreCase);
    private static readonly TimeSpan UndoTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Who a session belongs to: the same developer on the same machine may resume it without -Force.</summary>
    /// <remarks>DEVK8S_OWNER overrides it, e.g. for a shared CI account that should show who ran it.</remarks>
    public static string CurrentOwner { get; } = Environment.GetEnvironmentVariable("DEVK8S_OWNER") is { Length: > 0 } owner ? owner : OwnerIdentity.Current;

    public static IReadOnlyList<DevSession> All => Live.Values.OrderBy(s => s.Record.StartedAt).ToList();

    private static string Key(KubeTarget target, ServiceConfig service) => $"{target.Context}/{target.Namespace}/{service.Name}";

    public static DevSession? Find(KubeTarget target, ServiceConfig service) => Live.GetValueOrDefault(Key(target, service));

    /// <summary>
    /// Puts a service into dev mode with <paramref name="strategy"/> and returns once it is live
    /// (first iteration done); the loop goes on in the background. Takes ownership of <paramref name="target"/>.
    /// </summary>
    public static async Task<DevSession> StartAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, Strategy strategy,
        bool force, IReadOnlyDictionary<string, object?> options, IProgress<string>? progress, CancellationToken ct, Action<string>? warn = null)
    {
        var impl = StrategyRegistry.Get(strategy);
        var logs = new LogHub();
        var plan = await impl.PlanAsync(PlanContext(target, project, service, logs, progress, options), ct).ConfigureAwait(false);
        // Restarting from the same process: stop the local side first, keep the cluster side.
        if (Live.TryRemove(Key(target, service), out var running)) await running.DisposeAsync().ConfigureAwait(false);

        var record = NewRecord(strategy);
        var controller = new DevModeController(target, service);
        progress?.Report($"{service.Name}: entering dev mode ({strategy})");
        var change = await controller.PrepareAsync(record, plan, force, mustBeInDevMode: false, ct, warn: warn).ConfigureAwait(false);
        // The Lease first: from here on anyone can see this session is alive, even during a long rollout.
        var lease = await LeaseKeeper.HoldAsync(target, service.Workload, record, ct).ConfigureAwait(false);
        try
        {
            var pod = await controller.CommitAsync(change, progress, ct).ConfigureAwait(false);
            return await StartRuntimeAsync(target, project, service, impl, record, pod, change.Changes, options, logs, progress, lease, ct).ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            // Never leave a half-entered dev mode behind: put the original back, even on Ctrl+C.
            using var undo = new CancellationTokenSource(UndoTimeout);
            if (change.Written)
            {
                progress?.Report($"entering dev mode failed ({failure.GetType().Name}); restoring {service.Workload}");
                await controller.RestoreAsync(record.Owner, force: true, undo.Token, onlySession: record.SessionId).ConfigureAwait(false);
            }
            await lease.DisposeAsync().ConfigureAwait(false);
            await SessionLease.ReleaseAsync(target, service.Workload, record.SessionId, undo.Token).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Moves a service in dev mode from its current strategy to <paramref name="strategy"/>: one
    /// replace from the current dev template to the new one (none when they are equal), computed
    /// from the recorded original. If the new loop cannot start, the previous one comes back.
    /// </summary>
    public static async Task<DevSession> SwitchAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, Strategy strategy,
        bool force, IReadOnlyDictionary<string, object?> options, IProgress<string>? progress, CancellationToken ct, Action<string>? warn = null)
    {
        var impl = StrategyRegistry.Get(strategy);
        var local = Find(target, service);
        var logs = local?.Logs ?? new LogHub();
        var plan = await impl.PlanAsync(PlanContext(target, project, service, logs, progress, options), ct).ConfigureAwait(false);
        var controller = new DevModeController(target, service);
        var record = NewRecord(strategy);
        // Everything that can refuse (ownership, tools, argv) is checked before anything stops.
        var change = await controller.PrepareAsync(record, plan, force, mustBeInDevMode: true, ct, warn: warn).ConfigureAwait(false);
        var previous = change.Previous!;
        local = Live.TryRemove(Key(target, service), out var running) ? running : null;
        if (local is not null)
        {
            logs.Write(new DevLogRecord(DateTimeOffset.Now, service.Name, local.Pod, null, "stdout", $"switching {previous.Strategy} → {strategy}", LogSource.Local));
            await local.DisposeAsync(completeLogs: false).ConfigureAwait(false);
        }
        LeaseKeeper? lease = null;
        try
        {
            lease = await LeaseKeeper.HoldAsync(target, service.Workload, record, ct).ConfigureAwait(false);
            var pod = await controller.CommitAsync(change, progress, ct).ConfigureAwait(false);
            var session = await StartRuntimeAsync(target, project, service, impl, record, pod, change.Changes, options, logs, progress, lease, ct).ConfigureAwait(false);
            if (local is not null && !ReferenceEquals(local.Target, target)) local.Target.Dispose();
            return session;
        }
        catch (Exception failure)
        {
            if (lease is not null) await lease.DisposeAsync().ConfigureAwait(false);
            progress?.Report($"switching {service.Name} to {strategy} failed; bringing {previous.Strategy} back");
            using var undo = new CancellationTokenSource(UndoTimeout);
            var back = await SwitchBackAsync(target, project, service, previous, change.Written ? record.SessionId : null, logs, progress, undo.Token).ConfigureAwait(false);
            if (failure is OperationCanceledException) throw;
            throw new DevSwitchFailedException($"switching {service.Name} to {strategy} failed: {failure.Message} " +
                (back ? $"{previous.Strategy} is back." : $"{previous.Strategy} could not be restarted; the service is in dev mode with its template but no local loop runs."), failure);
        }
    }

    /// <summary>The previous strategy's template and runtime, after a failed switch.</summary>
    private static async Task<bool> SwitchBackAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, DevSessionRecord previous,
        string? writtenBy, LogHub logs, IProgress<string>? progress, CancellationToken ct)
    {
        var kind = Enum.Parse<Strategy>(previous.Strategy, ignoreCase: true);
        if (!StrategyRegistry.TryGet(kind, out var impl)) return false;
        var record = NewRecord(kind) with { StartedAt = previous.StartedAt };
        try
        {
            var controller = new DevModeController(target, service);
            var plan = await impl.PlanAsync(PlanContext(target, project, service, logs, progress, new Dictionary<string, object?>()), ct).ConfigureAwait(false);
            var change = await controller.PrepareAsync(record, plan, force: true, mustBeInDevMode: true, ct,
                requireSession: writtenBy ?? previous.SessionId).ConfigureAwait(false);
            var lease = await LeaseKeeper.HoldAsync(target, service.Workload, record, ct).ConfigureAwait(false);
            var pod = await controller.CommitAsync(change, progress, ct).ConfigureAwait(false);
            await StartRuntimeAsync(target, project, service, impl, record, pod, change.Changes, new Dictionary<string, object?>(), logs, progress, lease, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logs.Write(new DevLogRecord(DateTimeOffset.Now, service.Name, null, null, "error", $"bringing {previous.Strategy} back failed: {e.Message}", LogSource.Local));
            return false;
        }
    }

    private static async Task<DevSession> StartRuntimeAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, IDevStrategy impl,
        DevSessionRecord record, DevPod? pod, IReadOnlyList<string> changes, IReadOnlyDictionary<string, object?> options, LogHub logs, IProgress<string>? progress, LeaseKeeper lease, CancellationToken ct)
    {
        var session = new DevSession(target, project, service, record, impl, logs) { Pod = pod?.Name, Lease = lease };
        var context = new DevRuntimeContext
        {
            Target = target, Project = project, Service = service, Controller = session.Controller, Record = record, Pod = pod,
            Logs = logs, Progress = progress, Options = options, OnPush = session.OnPush,
            ApplyPlanAsync = async (plan, token) =>
            {
                var change = await session.Controller.PrepareAsync(record, plan, force: false, mustBeInDevMode: true, token, requireSession: record.SessionId).ConfigureAwait(false);
                // No progress: the starting cmdlet's reporter is gone by the time a live loop applies a new plan.
                return await session.Controller.CommitAsync(change, null, token).ConfigureAwait(false);
            },
        };
        session.Runtime = await impl.StartAsync(context, ct).ConfigureAwait(false);
        session.Changes = changes;
        session.State = SessionState.Live;
        // When the loop ends by itself (the intercepted local command exited), the service goes back to
        // prod mode; the ended session stays listed (Get-DevSession shows why it stopped).
        session.Ended += async s =>
        {
            using var restore = new CancellationTokenSource(UndoTimeout);
            try
            {
                await s.Controller.RestoreAsync(record.Owner, force: false, restore.Token, onlySession: record.SessionId).ConfigureAwait(false);
                await SessionLease.ReleaseAsync(target, service.Workload, record.SessionId, restore.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logs.Write(new DevLogRecord(DateTimeOffset.Now, service.Name, null, null, "warning", $"restoring the prod spec failed: {e.Message}", LogSource.Local));
            }
        };
        Live[Key(target, service)] = session;
        session.Run();
        return session;
    }

    /// <summary>
    /// Restores the recorded original of a service and ends this process's session for it, if any.
    /// Works from any process: the record lives on the workload. Returns false if it was in prod mode.
    /// </summary>
    public static async Task<bool> StopAsync(KubeTarget target, ServiceConfig service, bool force, IProgress<string>? progress, CancellationToken ct, Action<string>? warn = null)
    {
        if (Live.TryRemove(Key(target, service), out var session))
            await session.DisposeAsync().ConfigureAwait(false);
        var controller = new DevModeController(target, service);
        progress?.Report($"{service.Name}: restoring the prod spec");
        var restored = await controller.RestoreAsync(CurrentOwner, force, ct, warn: warn).ConfigureAwait(false);
        // In prod mode now: whoever's Lease this was, it has nothing left to hold.
        await SessionLease.ReleaseAsync(target, service.Workload, null, ct).ConfigureAwait(false);
        if (session is not null && !ReferenceEquals(session.Target, target)) session.Target.Dispose();
        return restored;
    }

    /// <summary>
    /// One iteration of the service's loop now: through this process's live session, or, from any
    /// other process, through a runtime started just for it against the running dev pod.
    /// </summary>
    public static async Task<PushReport> PushAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, IProgress<string>? progress, CancellationToken ct)
    {
        if (Find(target, service) is { Runtime: { } live }) return await live.PushAsync(ct).ConfigureAwait(false);
        var controller = new DevModeController(target, service);
        var record = await controller.ReadSessionAsync(ct).ConfigureAwait(false)
            ?? throw new DevModeException($"{service.Name} is not in dev mode.", $"Start-DevService {service.Name} first.");
        var kind = Enum.Parse<Strategy>(record.Strategy, ignoreCase: true);
        var impl = StrategyRegistry.Get(kind);
        PushReport? report = null;
        var context = new DevRuntimeContext
        {
            Target = target, Project = project, Service = service, Controller = controller, Record = record,
            Pod = await controller.FindDevPodAsync(record.SessionId, ct).ConfigureAwait(false),
            Logs = new LogHub(), Progress = progress, OnPush = r => report = r,
        };
        await using var runtime = await impl.StartAsync(context, ct).ConfigureAwait(false);
        return report ?? await runtime.PushAsync(ct).ConfigureAwait(false);
    }

    private static DevPlanContext PlanContext(KubeTarget target, ProjectConfig project, ServiceConfig service, LogHub logs,
        IProgress<string>? progress, IReadOnlyDictionary<string, object?> options) =>
        new() { Target = target, Project = project, Service = service, Logs = logs, Progress = progress, Options = options };

    private static DevSessionRecord NewRecord(Strategy strategy) =>
        new(CurrentOwner, Guid.NewGuid().ToString("N")[..12], strategy.ToString(), DateTimeOffset.Now);
}
