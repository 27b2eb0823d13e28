using System.Collections.Concurrent;
using System.Management.Automation;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Logs;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Follows the merged logs of services (every pod, restarts included) and their sync events until Ctrl+C.</summary>
[Cmdlet(VerbsCommon.Watch, "DevLog")]
[OutputType(typeof(DevK8s.DevLogRecord))]
public sealed class WatchDevLogCommand : ServiceCmdlet
{
    /// <summary>Lines of existing log per container to show first (default 10; -1 for all).</summary>
    [Parameter]
    public int Tail { get; set; } = 10;

    /// <summary>Only log lines written since this time.</summary>
    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Stop after this many seconds instead of at Ctrl+C (for scripts); a TimeSpan or 'hh:mm:ss' works too.</summary>
    [Parameter]
    [Seconds]
    [ValidateRange(0, int.MaxValue)]
    public double? Timeout { get; set; }

    protected override void EndProcessing()
    {
        var project = LoadProject();
        var services = SelectServices(project, allWhenEmpty: true);
        var target = EngineBridge.Connect(this, project);
        var queue = new BlockingCollection<Engine.Logs.DevLogRecord>();
        var sink = new QueueSink(queue);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(StopToken);
        if (Timeout is { } seconds) stop.CancelAfter(TimeSpan.FromSeconds(seconds));
        var tasks = new List<Task>();
        var subscriptions = new List<LogSubscription>();
        try
        {
            foreach (var service in services)
            {
                if (DevSessions.Find(target, service) is { } session)
                {
                    var subscription = session.Logs.Subscribe();
                    subscriptions.Add(subscription);
                    tasks.Add(Task.Run(async () =>
                    {
                        await foreach (var r in subscription.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                            if (r.Source != LogSource.Cluster) queue.Add(r);
                    }, stop.Token));
                }
                var selector = Await(ct => ServiceStatusReader.LabelSelectorAsync(target, service, ct));
                if (selector is null)
                {
                    WriteWarning($"{service.Name}: {service.Workload} does not exist in {target.Namespace}; only its dev session's events are shown.");
                    continue;
                }
                var follower = new PodLogFollower(target, service.Name, selector, sink, Tail < 0 ? null : Tail, Since);
                tasks.Add(Task.Run(() => follower.RunAsync(stop.Token), stop.Token));
            }
            // Records come from many threads; they are written here, on the pipeline thread.
            while (!stop.IsCancellationRequested)
                if (queue.TryTake(out var record, 100)) WriteObject(Mapper.ToOutput(record));
            while (queue.TryTake(out var rest)) WriteObject(Mapper.ToOutput(rest));
            if (StopToken.IsCancellationRequested) throw new PipelineStoppedException();
        }
        finally
        {
            stop.Cancel();
            foreach (var s in subscriptions) s.Dispose();
            try { Task.WaitAll(tasks.ToArray(), TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            target.Dispose();
        }
    }

    private sealed class QueueSink(BlockingCollection<Engine.Logs.DevLogRecord> queue) : ILogSink
    {
        public void Write(Engine.Logs.DevLogRecord record) => queue.Add(record);
    }
}
