using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;
using DevK8s.Engine.Sync;

namespace DevK8s.Engine.DevMode;

public enum SessionState { Starting, Live, Reconnecting, Stopped, Failed }

/// <summary>
/// One service in dev mode, driven from this process: the cluster side (workload patched,
/// recorded on the workload) and the strategy's runtime running in the background. A guard
/// notices when the workload's record no longer names this session (switched or stopped from
/// another process) and stops the runtime, saying so on the log stream.
/// </summary>
public sealed class DevSession : IAsyncDisposable
{
    internal static TimeSpan GuardInterval { get; set; } = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private Task _background = Task.CompletedTask;
    private Task _guard = Task.CompletedTask;
    private int _disposed;

    internal DevSession(KubeTarget target, ProjectConfig project, ServiceConfig service, DevSessionRecord record, IDevStrategy strategy, LogHub logs)
    {
        Target = target;
        Project = project;
        Service = service;
        Record = record;
        Strategy = strategy;
        Logs = logs;
        Controller = new DevModeController(target, service);
    }

    public KubeTarget Target { get; }
    public ProjectConfig Project { get; }
    public ServiceConfig Service { get; }
    public DevSessionRecord Record { get; }
    public IDevStrategy Strategy { get; }
    public DevModeController Controller { get; }
    public LogHub Logs { get; }
    public SessionState State { get; internal set; } = SessionState.Starting;
    public string? Pod { get; internal set; }
    public PushReport? LastPush { get; private set; }
    public Exception? Failure { get; private set; }
    internal IDevRuntime? Runtime { get; set; }
    internal LeaseKeeper? Lease { get; set; }

    /// <summary>What dev mode changed on the workload (from the recorded original), as of the last start or switch.</summary>
    public IReadOnlyList<string> Changes { get; internal set; } = [];

    /// <summary>What only this session's strategy knows (sync state, intercept id, local PID…).</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Details => Runtime?.Details ?? [];

    /// <summary>Raised once when the runtime's loop ends by itself (the session is over).</summary>
    internal event Func<DevSession, Task>? Ended;

    internal void OnPush(PushReport report)
    {
        LastPush = report;
        Pod = report.Pod ?? Pod;
        Logs.Write(new DevLogRecord(report.Time, Service.Name, report.Pod, null, "sync", report.Summary, LogSource.Sync));
    }

    internal void Run()
    {
        var runtime = Runtime!;
        runtime.ConnectionChanged += connected =>
        {
            if (State is SessionState.Live or SessionState.Reconnecting)
                State = connected ? SessionState.Live : SessionState.Reconnecting;
        };
        _background = Task.Run(async () =>
        {
            try
            {
                await runtime.RunAsync(_stop.Token).ConfigureAwait(false);
                if (_stop.IsCancellationRequested) return;
                State = SessionState.Stopped;
                if (Ended is { } ended) await ended(this).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
            catch (DevSessionEndedException e) { Ended_(e); }
            catch (Exception e)
            {
                Failure = e;
                State = SessionState.Failed;
                Logs.Write(new DevLogRecord(DateTimeOffset.Now, Service.Name, Pod, null, "error", $"dev session stopped working: {e.Message}", LogSource.Sync));
            }
        });
        _guard = Task.Run(GuardAsync);
    }

    /// <summary>Polls the workload's record: another process's switch, takeover or stop ends this session here.</summary>
    private async Task GuardAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(GuardInterval, _stop.Token).ConfigureAwait(false);
                var now = await Controller.ReadSessionAsync(_stop.Token).ConfigureAwait(false);
                if (now?.SessionId != Record.SessionId)
                {
                    Ended_(new DevSessionEndedException(Service.Name, Record.SessionId, now));
                    return;
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (DevModeException e) { Ended_(new DevSessionEndedException(Service.Name, Record.SessionId, null), e.Message); return; }
            catch (Exception) { /* the API server away for a moment: the runtime reports that; keep guarding */ }
        }
    }

    private void Ended_(DevSessionEndedException e, string? detail = null)
    {
        if (State is SessionState.Stopped or SessionState.Failed) return;
        State = SessionState.Stopped;
        Failure = e; // why it stopped, for Get-DevSession
        Logs.Write(new DevLogRecord(DateTimeOffset.Now, Service.Name, Pod, null, "warning",
            $"{e.Message}{(detail is null ? "" : " " + detail)} This process's {Record.Strategy} loop stopped.", LogSource.Local));
        _stop.Cancel();
        _ = Task.Run(async () => { if (Runtime is { } r) await r.DisposeAsync().ConfigureAwait(false); });
    }

    /// <summary>Stops the local side; the workload stays as it is (DevSessions.StopAsync restores it).</summary>
    public async ValueTask DisposeAsync() => await DisposeAsync(completeLogs: true).ConfigureAwait(false);

    /// <summary>Stops the runtime; a switch keeps the log stream open for the next runtime.</summary>
    internal async ValueTask DisposeAsync(bool completeLogs)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        try { await _background.ConfigureAwait(false); } catch (OperationCanceledException) { }
        try { await _guard.ConfigureAwait(false); } catch (OperationCanceledException) { }
        if (Runtime is not null) await Runtime.DisposeAsync().ConfigureAwait(false);
        if (Lease is not null) await Lease.DisposeAsync().ConfigureAwait(false);
        if (State != SessionState.Failed) State = SessionState.Stopped;
        if (completeLogs) Logs.Complete();
        _stop.Dispose();
    }
}
