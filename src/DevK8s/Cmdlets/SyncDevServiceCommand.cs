using System.Management.Automation;
using DevK8s.Engine.DevMode;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Makes the container's files match the local ones now (content compare), once.</summary>
[Cmdlet(VerbsData.Sync, "DevService", SupportsShouldProcess = true)]
[OutputType(typeof(DevSyncResult))]
public sealed class SyncDevServiceCommand : ServiceCmdlet
{
    protected override void EndProcessing()
    {
        var project = LoadProject();
        var services = SelectServices(project, allWhenEmpty: false);
        if (Names.Count == 0)
            ThrowTerminatingError(Errors.Create("Name the service(s) to sync.", "NameRequired", ErrorCategory.InvalidArgument, null, "Sync-DevService <name>"));
        using var target = EngineBridge.Connect(this, project);
        foreach (var service in services)
        {
            if (!ShouldProcess($"{service.Name} ({target.Context}/{target.Namespace})", "Sync local files into the dev container")) continue;
            try
            {
                WriteObject(Mapper.ToOutput(Await(ct => DevSessions.SyncOnceAsync(target, project, service, ct))));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteError(EngineBridge.DevModeError(e, service.Name));
            }
        }
    }
}
