using System.Management.Automation;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Puts services into dev mode; returns once each is live, the dev loop goes on in the background.</summary>
[Cmdlet(VerbsLifecycle.Start, "DevService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(DevSession), typeof(DevPushResult), typeof(DevSyncResult))]
public sealed class StartDevServiceCommand : SessionCmdlet
{
    /// <summary>The dev loop to use; default: the service's strategy in devk8s.yaml.</summary>
    [Parameter]
    public DevStrategy? Strategy { get; set; }

    /// <summary>Take over a service someone else has in dev mode.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also write what the first iteration of the loop did (the initial sync).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>-Poll (Sync), -EnvFile (Intercept)…: only the chosen strategy's parameters (the named service's default when -Strategy is absent).</summary>
    protected override DevStrategy? StrategyWhileBinding => StrategyParameters.Resolve(this, Strategy, Name, Path);

    protected override void EndProcessing()
    {
        var project = LoadProject();
        if (NothingPiped) return;
        if (Names.Count == 0)
            ThrowTerminatingError(Errors.Create("Name which service(s) to put into dev mode.", "NameRequired", ErrorCategory.InvalidArgument, null,
                $"Start-DevService <name>; configured: {string.Join(", ", project.Services.Select(s => s.Name))}."));
        var services = SelectServices(project, allWhenEmpty: false);
        for (var i = 0; i < services.Count; i++)
            StartOne(project, services[i], i);
    }

    private void StartOne(ProjectConfig project, ServiceConfig service, int index)
    {
        var strategy = Strategy is { } chosen ? (Strategy)(int)chosen : service.DefaultStrategy;
        if (strategy is null)
        {
            WriteError(Errors.Create($"{service.Name} configures no strategy in {project.FilePath}.", "NoStrategy", ErrorCategory.InvalidData, service.Name,
                "Add a sync (or image, binary, intercept) section for it, or pass -Strategy."));
            return;
        }
        var session = RunSession(project, service, strategy.Value, index, $"Enter dev mode ({strategy})",
            (target, options, progress, ct) => DevSessions.StartAsync(target, project, service, strategy.Value, Force, options, progress, ct, Warn));
        if (PassThru && session?.LastPush is { } push) WriteObject(push.Sync is { } sync ? Mapper.ToOutput(sync) : Mapper.ToOutput(push));
    }
}
