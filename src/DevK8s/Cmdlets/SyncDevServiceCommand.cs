using System.Management.Automation;
using DevK8s.Engine.DevMode;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>
/// Runs one iteration of a service's dev loop now, whatever its strategy (Sync: a full content
/// compare and send). Works from any process, not only the one that started the session.
/// </summary>
[Cmdlet(VerbsData.Sync, "DevService", SupportsShouldProcess = true)]
[OutputType(typeof(DevSyncResult), typeof(DevPushResult))]
public sealed class SyncDevServiceCommand : ServiceCmdlet
{
    protected override void EndProcessing()
    {
        var project = LoadProject();
        if (NothingPiped) return;
        var services = SelectServices(project, allWhenEmpty: false);
        if (Names.Count == 0)
            ThrowTerminatingError(Errors.Create("Name the service(s) to sync.", "NameRequired", ErrorCategory.InvalidArgument, null, "Sync-DevService <name>"));
        using var target = EngineBridge.Connect(this, project);
        for (var i = 0; i < services.Count; i++)
        {
            var service = services[i];
            if (!ShouldProcess($"{service.Name} ({target.Context}/{target.Namespace})", "Run one iteration of the dev loop (sync, build and copy, or rebuild)")) continue;
            try
            {
                var progress = ProgressFor(i + 1, $"Sync-DevService {service.Name}");
                var report = Await(ct => DevSessions.PushAsync(target, project, service, progress, ct));
                // Sync keeps its detailed result (files, paths); other loops report what they pushed.
                WriteObject(report.Sync is { } sync ? Mapper.ToOutput(sync) : Mapper.ToOutput(report));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteError(EngineBridge.DevModeError(e, service.Name));
            }
        }
    }
}
