using System.Management.Automation;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Puts the whole project into prod mode: applies the prod manifests unchanged (server-side apply).</summary>
// "Deploy" is an approved Lifecycle verb in PowerShell 7; PowerShell Standard 5.1 predates its constant.
[Cmdlet("Deploy", "DevProject", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(DevApplyResult))]
public sealed class DeployDevProjectCommand : DevCmdlet
{
    /// <summary>A devk8s.yaml file, or a folder to search upwards from. Default: the current folder.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var project = EngineBridge.LoadProject(this, Path, CurrentDirectory);
        if (project.Manifests.Count == 0)
            ThrowTerminatingError(Errors.Create($"{project.FilePath} lists no manifests.", "NoManifests", ErrorCategory.InvalidData, project.FilePath,
                "Add 'manifests:' with the files or folders of your prod manifests."));

        // Every manifest is read and checked before anything reaches the cluster.
        IReadOnlyList<ManifestObject> objects;
        try { objects = ManifestApplier.Order(ManifestReader.Read(project.Manifests)); }
        catch (ConfigException e)
        {
            ThrowTerminatingError(EngineBridge.ConfigError(e, e.Errors[0].File));
            return;
        }

        using var target = EngineBridge.Connect(this, project);
        var applier = new ManifestApplier(target);
        var progress = new ProgressRecord(1, $"Deploying {project.Name} to {target.Context}/{target.Namespace}", "Checking the namespace");
        try
        {
            if (!Await(applier.NamespaceExistsAsync) &&
                ShouldProcess($"namespace {target.Namespace} in {target.Context}", "Create namespace"))
                Await(applier.CreateNamespaceAsync);

            for (var i = 0; i < objects.Count; i++)
            {
                var obj = objects[i];
                progress.StatusDescription = $"{obj} ({i + 1}/{objects.Count})";
                progress.PercentComplete = i * 100 / objects.Count;
                WriteProgress(progress);
                var ns = Await(ct => applier.TargetNamespaceAsync(obj, ct));
                var where = ns is null ? target.Context : $"{target.Context}/{ns}";
                if (!ShouldProcess($"{obj} in {where} from {obj.Source}", "Apply (server-side)"))
                    continue;
                try
                {
                    WriteObject(Mapper.ToOutput(Await(ct => applier.ApplyAsync(obj, ct))));
                }
                catch (Exception e) when (e is not PipelineStoppedException)
                {
                    WriteError(EngineBridge.ClusterError(e, "ApplyFailed", $"{obj} ({obj.Source})"));
                }
            }
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowTerminatingError(EngineBridge.ClusterError(e, "DeployFailed", target.Server));
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }
}
