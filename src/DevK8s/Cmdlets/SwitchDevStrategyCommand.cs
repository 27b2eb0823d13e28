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
public sealed class SwitchDevStrategyCommand : SessionCmdlet
{
    /// <summary>The dev loop to switch to.</summary>
    [Parameter(Mandatory = true)]
    public DevStrategy Strategy { get; set; }

    /// <summary>Switch a session someone else owns.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override DevStrategy? StrategyWhileBinding => Strategy;

    protected override void EndProcessing()
    {
        var project = LoadProject();
        if (NothingPiped) return;
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
        RunSession(project, service, strategy, index, $"Switch the dev loop to {strategy}",
            (target, options, progress, ct) => DevSessions.SwitchAsync(target, project, service, strategy, Force, options, progress, ct, Warn));
    }
}
