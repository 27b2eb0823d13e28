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

    protected CancellationToken Stopping => _stop.Token;

    protected string CurrentDirectory => SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Runs engine work off the pipeline thread and waits for it; Ctrl+C stops the pipeline.</summary>
    protected T Await<T>(Func<CancellationToken, Task<T>> work)
    {
        var task = Task.Run(() => work(_stop.Token));
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
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
        GC.SuppressFinalize(this);
    }
}
