using System.Management.Automation;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;

namespace DevK8s.Infrastructure;

/// <summary>
/// Start-DevService and Switch-DevStrategy: the chosen strategy's own parameters (dynamic), and one
/// session started per service, whose live session then owns the cluster connection.
/// </summary>
public abstract class SessionCmdlet : ServiceCmdlet, IDynamicParameters
{
    private RuntimeDefinedParameterDictionary? _dynamic;

    /// <summary>The strategy whose parameters to offer, when it is known at binding time.</summary>
    protected abstract DevStrategy? StrategyWhileBinding { get; }

    public object GetDynamicParameters() => _dynamic = StrategyParameters.For(StrategyWhileBinding);

    /// <summary>Binds the strategy's options, asks ShouldProcess, runs <paramref name="run"/> and writes the DevSession; null when nothing ran.</summary>
    protected Engine.DevMode.DevSession? RunSession(ProjectConfig project, ServiceConfig service, Strategy strategy, int index, string action,
        Func<KubeTarget, IReadOnlyDictionary<string, object?>, IProgress<string>, CancellationToken, Task<Engine.DevMode.DevSession>> run)
    {
        var (options, invalid) = StrategyParameters.Bind(this, _dynamic, strategy, service.Name);
        if (invalid is not null)
        {
            WriteError(invalid);
            return null;
        }
        var target = EngineBridge.Connect(this, project);
        var owned = false;
        var activity = $"{MyInvocation.MyCommand.Name} {service.Name}";
        try
        {
            if (!ShouldProcess($"{service.Name} ({service.Workload} in {target.Context}/{target.Namespace})", action))
                return null;
            var progress = ProgressFor(index + 1, activity);
            var session = Await(ct => run(target, options, progress, ct));
            owned = true;
            WriteProgress(new ProgressRecord(index + 1, activity, "live") { RecordType = ProgressRecordType.Completed });
            WriteObject(Mapper.ToOutput(session));
            return session;
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteError(EngineBridge.DevModeError(e, service.Name));
            return null;
        }
        finally
        {
            // A live session owns its connection; otherwise it is ours to close.
            if (!owned) target.Dispose();
        }
    }
}
