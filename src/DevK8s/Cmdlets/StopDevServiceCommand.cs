using System.Management.Automation;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.DevMode;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Returns services to prod mode exactly as they were; works from any process or machine.</summary>
[Cmdlet(VerbsLifecycle.Stop, "DevService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Name")]
[OutputType(typeof(DevService))]
public sealed class StopDevServiceCommand : ServiceCmdlet
{
    /// <summary>Every service of the project that is in dev mode.</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>Also stop a session someone else owns.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the service (now in prod mode) after restoring it.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var project = LoadProject();
        if (NothingPiped && !All) return;
        if (Names.Count == 0 && !All)
            ThrowTerminatingError(Errors.Create("Name the service(s) to return to prod mode, or pass -All.", "NameRequired", ErrorCategory.InvalidArgument, null,
                "Stop-DevService <name>, Stop-DevService -All, or Get-DevService | Where-Object Mode -eq Dev | Stop-DevService."));
        var services = SelectServices(project, allWhenEmpty: All);
        using var target = EngineBridge.Connect(this, project);
        if (All && Names.Count == 0)
        {
            var statuses = Await(ct => ServiceStatusReader.ReadAsync(target, services, ct));
            services = statuses.Where(s => s.Mode == ServiceMode.Dev).Select(s => s.Service).ToList();
        }
        for (var i = 0; i < services.Count; i++)
        {
            var service = services[i];
            if (!ShouldProcess($"{service.Name} ({service.Workload} in {target.Context}/{target.Namespace})", "Restore the prod spec"))
                continue;
            try
            {
                var progress = ProgressFor(i + 1, $"Stop-DevService {service.Name}");
                var restored = Await(ct => DevSessions.StopAsync(target, service, Force, progress, ct, Warn));
                if (!restored) WriteVerbose($"{service.Name} was not in dev mode; nothing to restore.");
                if (PassThru)
                {
                    var status = Await(ct => ServiceStatusReader.ReadAsync(target, [service], ct));
                    WriteObject(Mapper.ToOutput(status[0], target.Context, project.FilePath));
                }
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteError(EngineBridge.DevModeError(e, service.Name));
            }
        }
    }
}
