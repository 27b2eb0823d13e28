using System.Management.Automation;
using DevK8s.Engine.Cluster;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Lists the configured services joined with the live cluster: mode, strategy, owner, readiness.</summary>
[Cmdlet(VerbsCommon.Get, "DevService")]
[OutputType(typeof(DevService))]
public sealed class GetDevServiceCommand : DevCmdlet
{
    /// <summary>Service names; wildcards allowed. Default: all services.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ServiceNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>A devk8s.yaml file, or a folder to search upwards from. Default: the current folder.</summary>
    [Parameter]
    public string? Path { get; set; }

    private readonly List<string> _names = [];

    protected override void ProcessRecord()
    {
        if (Name is not null) _names.AddRange(Name);
    }

    // One list call per workload kind for everything asked, so the whole batch costs one round trip.
    protected override void EndProcessing()
    {
        var project = EngineBridge.LoadProject(this, Path, CurrentDirectory);
        var selected = ServiceSelection.Select(this, project, _names);
        if (selected.Count == 0) return;
        using var target = EngineBridge.Connect(this, project);
        IReadOnlyList<ServiceStatus> statuses;
        try
        {
            statuses = Await(ct => ServiceStatusReader.ReadAsync(target, selected, ct));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowTerminatingError(EngineBridge.ClusterError(e, "ClusterReadFailed", target.Server));
            return;
        }
        foreach (var status in statuses)
            WriteObject(Mapper.ToOutput(status, target.Context, project.FilePath));
    }
}
