using System.Management.Automation;

namespace DevK8s.Infrastructure;

/// <summary>
/// Common parameters and the async bridge: engine work runs on the thread pool, while every
/// WriteObject/WriteError/WriteProgress stays on the pipeline thread; Ctrl+C cancels the work.
/// </summary>
public abstract class DevCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The kubeconfig context to use (overrides devk8s.yaml, which overrides the kubeconfig's current-context).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string? Context { get; set; }

    /// <summary>The namespace to use (overrides devk8s.yaml, which overrides the context's namespace).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Namespace { get; set; }

    protected CancellationToken StopToken => _stop.Token;

    protected string CurrentDirectory => SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    protected override void StopProcessing() => _stop.Cancel();

    private readonly System.Collections.Concurrent.BlockingCollection<Action> _pipelineActions = new();

    /// <summary>Queues work for the pipeline thread (WriteProgress, WriteVerbose…), run while Await waits.</summary>
    protected void OnPipelineThread(Action action) => _pipelineActions.Add(action);

    /// <summary>Warnings from engine threads, written on the pipeline thread.</summary>
    protected void Warn(string message) => OnPipelineThread(() => WriteWarning(message));

    /// <summary>Progress reports from engine threads, shown as this cmdlet's progress bar.</summary>
    protected IProgress<string> ProgressFor(int id, string activity) => new ProgressRelay(this, id, activity);

    private sealed class ProgressRelay(DevCmdlet cmdlet, int id, string activity) : IProgress<string>
    {
        public void Report(string value) => cmdlet.OnPipelineThread(() =>
        {
            cmdlet.WriteProgress(new ProgressRecord(id, activity, value));
            cmdlet.WriteVerbose(value);
        });
    }

    /// <summary>
    /// Runs engine work off the pipeline thread and waits for it, running queued pipeline-thread
    /// actions meanwhile. On Ctrl+C the work is cancelled and still awaited (so the engine can
    /// undo a half-done change) before the pipeline stops.
    /// </summary>
    protected T Await<T>(Func<CancellationToken, Task<T>> work)
    {
        var task = Task.Run(() => work(_stop.Token));
        while (!task.IsCompleted)
            if (_pipelineActions.TryTake(out var action, 50)) RunUnlessStopping(action);
        while (_pipelineActions.TryTake(out var pending)) RunUnlessStopping(pending);
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    // Once Ctrl+C is pressed every Write* throws; the engine's clean-up must still be awaited,
    // so progress is dropped instead of letting that exception abandon the wait.
    private void RunUnlessStopping(Action action)
    {
        if (_stop.IsCancellationRequested) return;
        try { action(); }
        catch (PipelineStoppedException) { _stop.Cancel(); }
    }

    protected void Await(Func<CancellationToken, Task> work) => Await<bool>(async ct => { await work(ct).ConfigureAwait(false); return true; });

    /// <summary>Streams an async sequence onto the pipeline thread one item at a time.</summary>
    protected IEnumerable<T> AwaitEach<T>(Func<CancellationToken, IAsyncEnumerable<T>> source)
    {
        var enumerator = source(_stop.Token).GetAsyncEnumerator(_stop.Token);
        try
        {
            while (Await(_ => enumerator.MoveNextAsync().AsTask()))
                yield return enumerator.Current;
        }
        finally
        {
            Await(_ => enumerator.DisposeAsync().AsTask());
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _pipelineActions.Dispose();
        GC.SuppressFinalize(this);
    }
}
