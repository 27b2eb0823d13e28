using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Binary;

/// <summary>A service in Binary dev mode, as its shared build sees it.</summary>
internal interface IBuildSubscriber
{
    string Service { get; }
    BinaryWatch Watch { get; }
    /// <summary>The artifact's full path: written by every build, so never a reason for the next one.</summary>
    string ArtifactPath { get; }
    /// <summary>Writes a build line to this service's log (the Build source).</summary>
    void BuildLog(DevLogRecord record);
    void BuildProgress(string line);
    /// <summary>After every build: deploy the artifact if it changed. Never throws; the outcome says what happened.</summary>
    Task<DeployOutcome> OnBuiltAsync(BuildResult build, CancellationToken ct);
}

/// <summary>One build and what it did to each service of the group.</summary>
public sealed record BuildRound(BuildResult Build, IReadOnlyDictionary<string, DeployOutcome> Outcomes);

/// <summary>
/// One build command in one working directory, shared by every service that names it. At most one
/// build runs at a time and at most one more is queued: saves during a build coalesce into that one.
/// After each build every service decides, in parallel, whether its artifact changed and deploys.
/// </summary>
internal sealed class BuildGroup : ILogSink
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDebounce = TimeSpan.FromSeconds(1);

    private readonly object _lock = new();
    private readonly List<IBuildSubscriber> _subscribers = [];
    private readonly Dictionary<string, (IDisposable Watcher, int Users)> _watchers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _life = new();
    private TaskCompletionSource<BuildRound>? _queued;
    private bool _looping;
    private bool _debouncing;
    private DateTime _lastChange;
    private int _builds;

    public BuildGroup(CommandSpec build, string workingDirectory) => (Build, WorkingDirectory) = (build, workingDirectory);

    public CommandSpec Build { get; }
    public string WorkingDirectory { get; }

    /// <summary>Builds this group has run (started), for Get-DevSession and the shared-build test.</summary>
    public int Builds => Volatile.Read(ref _builds);
    public BuildResult? LastBuild { get; private set; }
    public bool Building { get; private set; }
    public IReadOnlyList<string> Services { get { lock (_lock) return _subscribers.Select(s => s.Service).ToList(); } }

    public void Add(IBuildSubscriber subscriber)
    {
        lock (_lock)
        {
            _subscribers.Add(subscriber);
            var key = subscriber.Watch.Key;
            _watchers[key] = _watchers.TryGetValue(key, out var w) ? (w.Watcher, w.Users + 1) : (subscriber.Watch.Start(Changed), 1);
        }
    }

    /// <summary>Returns how many services remain.</summary>
    public int Remove(IBuildSubscriber subscriber)
    {
        lock (_lock)
        {
            if (_subscribers.Remove(subscriber) && _watchers.TryGetValue(subscriber.Watch.Key, out var w))
            {
                if (w.Users > 1) _watchers[subscriber.Watch.Key] = (w.Watcher, w.Users - 1);
                else
                {
                    w.Watcher.Dispose();
                    _watchers.Remove(subscriber.Watch.Key);
                }
            }
            return _subscribers.Count;
        }
    }

    /// <summary>The last service left: kill a running build, fail queued requests.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            foreach (var (watcher, _) in _watchers.Values) watcher.Dispose();
            _watchers.Clear();
        }
        _life.Cancel();
    }

    /// <summary>
    /// A build that starts after this call (joining the queued one if there is one), and the deploys
    /// it caused. Completes when every service has its outcome.
    /// </summary>
    public Task<BuildRound> RequestAsync()
    {
        lock (_lock)
        {
            if (_life.IsCancellationRequested) return Task.FromCanceled<BuildRound>(_life.Token);
            if (_queued is { } pending) return pending.Task;
            var next = new TaskCompletionSource<BuildRound>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queued = next;
            if (!_looping)
            {
                _looping = true;
                _ = Task.Run(LoopAsync);
            }
            return next.Task;
        }
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            TaskCompletionSource<BuildRound> round;
            lock (_lock)
            {
                if (_queued is null)
                {
                    _looping = false;
                    return;
                }
                round = _queued;
                _queued = null;
            }
            try
            {
                round.TrySetResult(await RunRoundAsync(_life.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException e)
            {
                round.TrySetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                round.TrySetException(e);
            }
        }
    }

    private async Task<BuildRound> RunRoundAsync(CancellationToken ct)
    {
        var number = Interlocked.Increment(ref _builds);
        Write("stdout", $"build #{number}: {Build} in {WorkingDirectory}");
        Building = true;
        BuildResult result;
        try
        {
            result = await BuildRunner.RunAsync(number, Build, WorkingDirectory, this, ct).ConfigureAwait(false);
        }
        finally
        {
            Building = false;
        }
        LastBuild = result;
        Write(result.Succeeded ? "stdout" : "error", result.Succeeded
            ? $"build #{number} done in {result.Duration.TotalSeconds:0.0} s"
            : $"build #{number} failed{(result.ExitCode is { } code ? $" (exit {code})" : "")} after {result.Duration.TotalSeconds:0.0} s: {Build} in {WorkingDirectory}. " +
              $"The pod keeps running the last good binary. Last lines:{Environment.NewLine}{result.Tail()}");
        List<IBuildSubscriber> subscribers;
        lock (_lock) subscribers = _subscribers.ToList();
        var outcomes = await Task.WhenAll(subscribers.Select(s => s.OnBuiltAsync(result, ct))).ConfigureAwait(false);
        return new BuildRound(result, outcomes.ToDictionary(o => o.Service, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>A watched file changed: build once the saves have been quiet for a moment (at most a second later).</summary>
    private void Changed(string? fullPath)
    {
        lock (_lock)
        {
            if (fullPath is not null && _subscribers.Any(s => string.Equals(s.ArtifactPath, fullPath, StringComparison.Ordinal))) return;
            _lastChange = DateTime.UtcNow;
            if (_debouncing || _life.IsCancellationRequested) return;
            _debouncing = true;
        }
        _ = Task.Run(async () =>
        {
            var first = DateTime.UtcNow;
            while (true)
            {
                await Task.Delay(Quiet).ConfigureAwait(false);
                lock (_lock)
                {
                    if (DateTime.UtcNow - _lastChange < Quiet && DateTime.UtcNow - first < MaxDebounce) continue;
                    _debouncing = false;
                }
                break;
            }
            // Outcomes are already on every service's log; a cancelled round only means the group stopped.
            _ = RequestAsync().ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        });
    }

    // The build's output goes to the log of every service that shares it.
    void ILogSink.Write(DevLogRecord record)
    {
        List<IBuildSubscriber> subscribers;
        lock (_lock) subscribers = _subscribers.ToList();
        foreach (var s in subscribers)
        {
            s.BuildLog(record with { Service = s.Service, Source = Logs.LogSource.Build });
            s.BuildProgress(record.Message);
        }
    }

    private void Write(string stream, string message) =>
        ((ILogSink)this).Write(new DevLogRecord(DateTimeOffset.Now, "", null, null, stream, message, LogSource.Build));
}
