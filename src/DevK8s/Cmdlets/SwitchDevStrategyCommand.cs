using System.Management.Automation;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>
/// Moves a service in dev mode to another dev loop in place: one replace from the current dev
/// template to the new one (none when they are equal), never through prod mode.
/// </summary>
[Cmdlet(VerbsCommon.Switch, "DevStrategy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(DevSession))]
public sealed class SwitchDevStrategyCommand : ServiceCmdlet, IDynamicParameters
{
    /// <summary>The dev loop to switch to.</summary>
    [Parameter(Mandatory = true)]
    public DevStrategy Strategy { get; set; }

    /// <summary>Switch a session someone else owns.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private RuntimeDefinedParameterDictionary? _dynamic;

    public object GetDynamicParameters() => _dynamic = StrategyParameters.For(Strategy);

    protected override void EndProcessing()
    {
        var project = LoadProject();
        if (Names.Count == 0)
            ThrowTerminatingError(Errors.Create("Name the service(s) to switch.", "NameRequired", ErrorCategory.InvalidArgument, null,
                "Switch-DevStrategy <name> -Strategy <strategy>, or Get-DevService <name> | Switch-DevStrategy -Strategy <strategy>."));
        var services = SelectServices(project, allWhenEmpty: false);
        for (var i = 0; i < services.Count; i++)
            SwitchOne(project, services[i], i);
    }

    private void SwitchOne(ProjectConfig project, ServiceConfig service, int index)
    {
        var strategy = (Strategy)(int)Strategy;
        var (options, invalid) = StrategyParameters.Bind(this, _dynamic, strategy, service.Name);
        if (invalid is not null)
        {
            WriteError(invalid);
            return;
        }
        var target = EngineBridge.Connect(this, project);
        var owned = false;
        try
        {
            if (!ShouldProcess($"{service.Name} ({service.Workload} in {target.Context}/{target.Namespace})", $"Switch the dev loop to {strategy}"))
                return;
            var progress = ProgressFor(index + 1, $"Switch-DevStrategy {service.Name}");
            var session = Await(ct => DevSessions.SwitchAsync(target, project, service, strategy, Force, options, progress, ct, Warn));
            owned = true;
            WriteProgress(new ProgressRecord(index + 1, $"Switch-DevStrategy {service.Name}", "live") { RecordType = ProgressRecordType.Completed });
            WriteObject(Mapper.ToOutput(session));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteError(EngineBridge.DevModeError(e, service.Name));
        }
        finally
        {
            if (!owned) target.Dispose();
        }
    }
}
