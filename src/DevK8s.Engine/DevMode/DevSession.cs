using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;
using DevK8s.Engine.Sync;

namespace DevK8s.Engine.DevMode;

public enum SessionState { Starting, Live, Reconnecting, Stopped, Failed }

/// <summary>
/// One service in dev mode, driven from this process: the cluster side (workload patched,
/// recorded on the workload) and the local side (sync loop, logs) running in the background.
/// </summary>
public sealed class DevSession : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _background = Task.CompletedTask;

    internal DevSession(KubeTarget target, ProjectConfig project, ServiceConfig service, DevSessionRecord record)
    {
        Target = target;
        Project = project;
        Service = service;
        Record = record;
        Controller = new DevModeController(target, service);
    }

    public KubeTarget Target { get; }
    public ProjectConfig Project { get; }
    public ServiceConfig Service { get; }
    public DevSessionRecord Record { get; }
    public DevModeController Controller { get; }
    public LogHub Logs { get; } = new();
    public SessionState State { get; internal set; } = SessionState.Starting;
    public string? Pod { get; internal set; }
    public DevSyncReport? LastSync { get; private set; }
    public Exception? Failure { get; private set; }
    internal SyncSession? Sync { get; set; }

    /// <summary>The Telepresence side of an Intercept session.</summary>
    public Intercept.InterceptRunner? Intercept { get; internal set; }

    /// <summary>True while local changes are being watched (native events or polling).</summary>
    public bool Watching => Sync?.Watching == true;

    internal void OnSync(DevSyncReport report)
    {
        LastSync = report;
        Pod = report.Pod;
        Logs.Write(new DevLogRecord(report.Time, Service.Name, report.Pod, null, "sync",
            $"{report.Kind.ToString().ToLowerInvariant()}: {report.FilesSent} sent, {report.FilesDeleted} deleted, {report.BytesSent} bytes in {report.Duration.TotalMilliseconds:0} ms" +
            (report.Action is null ? "" : $"; {report.Action}"), LogSource.Sync));
    }

    internal void RunInBackground(Func<CancellationToken, Task> work)
    {
        _background = Task.Run(async () =>
        {
            try { await work(_stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
            catch (Exception e)
            {
                Failure = e;
                State = SessionState.Failed;
                Logs.Write(new DevLogRecord(DateTimeOffset.Now, Service.Name, Pod, null, "error", $"dev session stopped working: {e.Message}", LogSource.Sync));
            }
        });
    }

    /// <summary>Stops the local side; the workload stays as it is (see DevSessions.StopAsync to restore it).</summary>
    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        try { await _background.ConfigureAwait(false); } catch (OperationCanceledException) { }
        if (Sync is not null) await Sync.DisposeAsync().ConfigureAwait(false);
        if (Intercept is not null) await Intercept.DisposeAsync().ConfigureAwait(false);
        if (State != SessionState.Failed) State = SessionState.Stopped;
        Logs.Complete();
        _stop.Dispose();
    }
}
