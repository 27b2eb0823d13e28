using System.Diagnostics;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Sync;

namespace DevK8s.Engine.Image;

/// <summary>
/// The Image loop against a live dev session: saves under the context (what git tracks) start a
/// rebuild after a short quiet time, one build at a time with at most one queued; each new digest
/// updates the dev template in place; a rollout that fails goes back to the last good dev image.
/// </summary>
internal sealed class ImageRuntime : IDevRuntime
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan UndoTimeout = TimeSpan.FromSeconds(90);

    private readonly DevRuntimeContext _context;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly SemaphoreSlim _changed = new(0, 1);
    private ChangeWatcher? _watcher;
    private string? _lastGood;
    private string? _pod;
    private PushReport? _last;
    private int _builds, _skipped, _rollbacks;
    private string? _lastError;
    // Images whose rollout failed: a save that changes nothing in them does not roll them out again.
    private readonly HashSet<string> _failed = [];

    public ImageRuntime(DevRuntimeContext context)
    {
        _context = context;
        _lastGood = context.Pod?.Image;
        _pod = context.Pod?.Name;
    }

    private ServiceConfig Service => _context.Service;

    // Not the context's: that reporter belongs to the cmdlet that started the session and is gone once it returned.
    private static IProgress<string>? Progress => null;

    public event Action<bool>? ConnectionChanged { add { } remove { } }

    /// <summary>Takes the iteration PlanAsync ran as this session's first.</summary>
    public void Accept(ImageBuildResult built, string pod)
    {
        _lastGood = built.PodImage;
        _pod = pod;
        Count(built);
        Report(built, pod, built.Total, rolledOut: true);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var image = Service.Image!;
        // What git tracks under the context: sources change there; build outputs (target/, ignored) do not retrigger.
        var filter = new SyncFilter(image.Context, [], useGitignore: true, _context.Project.Directory);
        _watcher = new ChangeWatcher(image.Context, filter, poll: false, TimeSpan.FromSeconds(1), _ => Signal(), Signal);
        while (true)
        {
            await _changed.WaitAsync(ct).ConfigureAwait(false);
            // Quiet time: an editor's save is often several writes.
            while (await _changed.WaitAsync(Debounce, ct).ConfigureAwait(false)) { }
            try
            {
                await IterateAsync(onDemand: false, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
            catch (DevSessionEndedException) { throw; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _lastError = e.Message;
                _context.Logs.Write(ImageStrategy.Record(Service, _pod, e.Message, "error"));
            }
        }
    }

    private void Signal()
    {
        try { _changed.Release(); }
        catch (SemaphoreFullException) { } // one rebuild queued already
    }

    public Task<PushReport> PushAsync(CancellationToken ct) => IterateAsync(onDemand: true, ct);

    private async Task<PushReport> IterateAsync(bool onDemand, CancellationToken ct)
    {
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var clock = Stopwatch.StartNew();
            var built = await ImageBuild.RunAsync(_context.Target, _context.Project, Service, _context.Logs, Progress, ct).ConfigureAwait(false);
            Count(built);
            if (built.PodImage == _lastGood)
                return Report(built, _pod, clock.Elapsed, rolledOut: false);
            if (!onDemand && _failed.Contains(built.PodImage))
            {
                _context.Logs.Write(ImageStrategy.Record(Service, _pod,
                    $"{built.Tag} is the image whose rollout failed; not rolled out again until the input changes (or Sync-DevService {Service.Name})", "warning"));
                return Report(built, _pod, clock.Elapsed, rolledOut: false);
            }
            _context.Logs.Write(ImageStrategy.Record(Service, _pod, ImageStrategy.Summary(built)));
            var pod = await RollOutAsync(built, ct).ConfigureAwait(false);
            _lastGood = built.PodImage;
            _pod = pod?.Name ?? _pod;
            _lastError = null;
            return Report(built, _pod, clock.Elapsed, rolledOut: true);
        }
        finally { _one.Release(); }
    }

    /// <summary>The new digest into the dev template; on failure or Ctrl+C, the last good one back.</summary>
    private async Task<DevPod?> RollOutAsync(ImageBuildResult built, CancellationToken ct)
    {
        var plan = await ImageStrategy.PlanForAsync(_context.Target, Service, built, ct).ConfigureAwait(false);
        Progress?.Report($"{Service.Name}: rolling out {built.PodImage}");
        try
        {
            return await ApplyAsync(plan, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RolloutFailedException or OperationCanceledException && _lastGood is not null)
        {
            var back = _lastGood!;
            using var undo = new CancellationTokenSource(UndoTimeout);
            var good = plan with { Image = back };
            try
            {
                await ApplyAsync(good, undo.Token).ConfigureAwait(false);
                _rollbacks++;
            }
            catch (Exception again) when (again is not OutOfMemoryException)
            {
                var lost = $"{Service.Name}: rolling back to {back} failed too: {again.Message}";
                _context.Logs.Write(ImageStrategy.Record(Service, _pod, lost, "error"));
                if (e is RolloutFailedException) throw new RolloutFailedException(((RolloutFailedException)e).Reason, e.Message + "\n" + lost,
                    $"Stop-DevService {Service.Name} puts the prod spec back.", ((RolloutFailedException)e).LastLines, ((RolloutFailedException)e).Warning);
                throw;
            }
            if (e is not RolloutFailedException failed) throw;
            _failed.Add(built.PodImage);
            var message = $"{Service.Name}: the dev image {built.PodImage} did not roll out: {failed.Message}\nRolled back to the last good dev image {back}; the service keeps serving.";
            _lastError = message;
            _context.Logs.Write(ImageStrategy.Record(Service, _pod, message, "warning"));
            throw new RolloutFailedException(failed.Reason, message, failed.RecommendedAction, failed.LastLines, failed.Warning);
        }
    }

    private async Task<DevPod?> ApplyAsync(DevTemplatePlan plan, CancellationToken ct)
    {
        try
        {
            return await _context.ApplyPlanAsync(plan, ct).ConfigureAwait(false);
        }
        catch (NotSupportedException)
        {
            // Sync-DevService from another process: no live session here, the same write through the controller.
            var change = await _context.Controller.PrepareAsync(_context.Record, plan, force: false, mustBeInDevMode: true, ct,
                requireSession: _context.Record.SessionId).ConfigureAwait(false);
            return await _context.Controller.CommitAsync(change, _context.Progress, ct).ConfigureAwait(false);
        }
    }

    private void Count(ImageBuildResult built)
    {
        if (built.Unchanged) _skipped++;
        else _builds++;
    }

    private PushReport Report(ImageBuildResult built, string? pod, TimeSpan duration, bool rolledOut)
    {
        var summary = built.Unchanged && !rolledOut
            ? $"nothing to do: {built.Tag} unchanged (prebuild {built.Prebuild.TotalMilliseconds:0} ms, {built.InputFiles} input files hashed in {built.Hash.TotalMilliseconds:0} ms), nothing built, pushed or rolled out"
            : ImageStrategy.Summary(built) + (rolledOut ? "; rolled out" : "");
        _last = new PushReport(Service.Name, Strategy.Image, pod, summary, Math.Max(0, built.BytesPushed), duration, DateTimeOffset.Now);
        _context.OnPush(_last);
        return _last;
    }

    public IReadOnlyList<KeyValuePair<string, object?>> Details =>
    [
        new("Image", _lastGood),
        new("Builds", _builds),
        new("Unchanged", _skipped),
        new("Rollbacks", _rollbacks),
        new("LastPush", _last),
        new("LastError", _lastError),
    ];

    public ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        return ValueTask.CompletedTask;
    }
}
