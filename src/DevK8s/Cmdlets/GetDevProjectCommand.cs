using System.Management.Automation;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Finds devk8s.yaml (walking up like git), validates it and returns the project.</summary>
[Cmdlet(VerbsCommon.Get, "DevProject")]
[OutputType(typeof(DevProject))]
public sealed class GetDevProjectCommand : PSCmdlet
{
    /// <summary>A devk8s.yaml file, or a folder to search upwards from. Default: the current folder.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var project = EngineBridge.LoadProject(this, Path, SessionState.Path.CurrentFileSystemLocation.ProviderPath);
        WriteObject(Mapper.ToOutput(project));
    }
}
