using System.Collections.Concurrent;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Intercept;
using DevK8s.Engine.Sync;

namespace DevK8s.Engine.DevMode;

/// <summary>The dev sessions this process drives, and how they start and stop.</summary>
public static class DevSessions
{
    private static readonly ConcurrentDictionary<string, DevSession> Live = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Who a session belongs to: the same developer on the same machine may resume it without -Force.</summary>
    public static string CurrentOwner { get; } = $"{Environment.UserName}@{Environment.MachineName}";

    public static IReadOnlyList<DevSession> All => Live.Values.OrderBy(s => s.Record.StartedAt).ToList();

    private static string Key(KubeTarget target, ServiceConfig service) => $"{target.Context}/{target.Namespace}/{service.Name}";

    public static DevSession? Find(KubeTarget target, ServiceConfig service) => Live.GetValueOrDefault(Key(target, service));

    /// <summary>
    /// Puts a service into dev mode and returns once it is live (initial sync done); the sync
    /// goes on in the background. Takes ownership of <paramref name="target"/>.
    /// </summary>
    public static async Task<DevSession> StartAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, Strategy strategy,
        bool force, SyncOptions syncOptions, IProgress<string>? progress, CancellationToken ct, string? envFile = null)
    {
        if (strategy is not (Strategy.Sync or Strategy.Intercept))
            throw new DevModeException($"the {strategy} strategy is not available in this version of DevK8s; Sync and Intercept are.",
                $"Use -Strategy Sync or -Strategy Intercept for {service.Name}.");
        if (strategy == Strategy.Intercept)
            return await StartInterceptAsync(target, project, service, force, envFile, progress, ct).ConfigureAwait(false);
        if (service.Sync is null)
            throw new DevModeException($"{service.Name} has no 'sync' section in {project.FilePath}.", "Add sync.paths (from, to) for this service, or pick another strategy.");

        if (Find(target, service) is { } running)
        {
            // Restarting from the same process: stop the local side first, keep the cluster side.
            Live.TryRemove(Key(target, service), out _);
            await running.DisposeAsync().ConfigureAwait(false);
        }

        var record = new DevSessionRecord(CurrentOwner, Guid.NewGuid().ToString("N")[..12], strategy.ToString(), DateTimeOffset.Now);
        var session = new DevSession(target, project, service, record);
        var wrap = service.Sync.OnChange.Any(r => r.Action == SyncAction.Restart);
        progress?.Report($"{service.Name}: entering dev mode");
        var pod = await session.Controller.EnterAsync(record, new DevPatchOptions(strategy, wrap), force, progress, ct).ConfigureAwait(false);
        session.Pod = pod.Name;

        try
        {
            session.Sync = new SyncSession(target, service, session.Controller, record.SessionId, syncOptions, session.Logs, session.OnSync);
            session.Sync.ConnectionChanged += connected =>
            {
                if (session.State is SessionState.Live or SessionState.Reconnecting)
                    session.State = connected ? SessionState.Live : SessionState.Reconnecting;
            };
            progress?.Report($"{service.Name}: initial sync into {pod.Name}");
            await session.Sync.SyncAllAsync(SyncKind.Initial, ct).ConfigureAwait(false);
        }
        catch
        {
            // The workload is fully in dev mode; the local side failed. Leave nothing half-done:
            // restore, so the service keeps serving prod code.
            using var restore = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            if (session.Sync is not null) await session.Sync.DisposeAsync().ConfigureAwait(false);
            await session.Controller.RestoreAsync(record.Owner, force: true, restore.Token).ConfigureAwait(false);
            throw;
        }
        session.State = SessionState.Live;
        session.RunInBackground(session.Sync.WatchAsync);
        Live[Key(target, service)] = session;
        return session;
    }

    private static async Task<DevSession> StartInterceptAsync(KubeTarget target, ProjectConfig project, ServiceConfig service,
        bool force, string? envFile, IProgress<string>? progress, CancellationToken ct)
    {
        var config = service.Intercept
            ?? throw new DevModeException($"{service.Name} has no 'intercept' section in {project.FilePath}.", "Add intercept.command (and ports) for this service.");
        if (Find(target, service) is { } running)
        {
            Live.TryRemove(Key(target, service), out _);
            await running.DisposeAsync().ConfigureAwait(false);
        }
        var record = new DevSessionRecord(CurrentOwner, Guid.NewGuid().ToString("N")[..12], Strategy.Intercept.ToString(), DateTimeOffset.Now);
        var session = new DevSession(target, project, service, record);
        await session.Controller.MarkAsync(record, force, ct).ConfigureAwait(false);
        try
        {
            session.Intercept = await InterceptRunner.StartAsync(target.Context, target.Namespace, service, config, envFile, session.Logs, progress, ct).ConfigureAwait(false);
        }
        catch
        {
            using var restore = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await session.Controller.RestoreAsync(record.Owner, force: true, restore.Token).ConfigureAwait(false);
            throw;
        }
        session.State = SessionState.Live;
        var key = Key(target, service);
        Live[key] = session;
        // When the local command ends, the intercept was left: the service is back in prod mode.
        _ = session.Intercept.Finished.ContinueWith(async _ =>
        {
            session.State = SessionState.Stopped;
            using var restore = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await session.Controller.RestoreAsync(record.Owner, force: false, restore.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is not OutOfMemoryException) { session.Logs.Write(new Logs.DevLogRecord(DateTimeOffset.Now, service.Name, null, null, "warning", $"clearing the dev-mode record failed: {e.Message}", Logs.LogSource.Local)); }
        }, TaskScheduler.Default).Unwrap();
        return session;
    }

    /// <summary>
    /// Restores the recorded original of a service and ends this process's session for it, if any.
    /// Works from any process: the record lives on the workload. Returns false if it was in prod mode.
    /// </summary>
    public static async Task<bool> StopAsync(KubeTarget target, ServiceConfig service, bool force, IProgress<string>? progress, CancellationToken ct)
    {
        if (Live.TryRemove(Key(target, service), out var session))
            await session.DisposeAsync().ConfigureAwait(false);
        var controller = new DevModeController(target, service);
        progress?.Report($"{service.Name}: restoring the prod spec");
        var restored = await controller.RestoreAsync(CurrentOwner, force, ct).ConfigureAwait(false);
        if (session is not null && !ReferenceEquals(session.Target, target)) session.Target.Dispose();
        return restored;
    }

    /// <summary>One-shot content sync into a service already in dev mode.</summary>
    public static async Task<DevSyncReport> SyncOnceAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, CancellationToken ct)
    {
        if (Find(target, service) is { Sync: { } live }) return await live.SyncAllAsync(SyncKind.Resync, ct).ConfigureAwait(false);
        var controller = new DevModeController(target, service);
        var record = await controller.ReadSessionAsync(ct).ConfigureAwait(false)
            ?? throw new DevModeException($"{service.Name} is not in dev mode.", $"Start-DevService {service.Name} -Strategy Sync first.");
        DevSyncReport? report = null;
        await using var sync = new SyncSession(target, service, controller, record.SessionId, new SyncOptions(), new Logs.LogHub(), r => report = r);
        await sync.SyncAllAsync(SyncKind.Initial, ct).ConfigureAwait(false);
        return report!;
    }
}
