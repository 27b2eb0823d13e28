using System.Management.Automation;
using DevK8s.Engine.Config;

namespace DevK8s.Infrastructure;

/// <summary>
/// A cmdlet over services of the project: -Name (strings, or DevService/DevSession objects by
/// property) and -Path; names from the whole pipeline are handled together in EndProcessing.
/// </summary>
public abstract class ServiceCmdlet : DevCmdlet
{
    /// <summary>Service names from devk8s.yaml; wildcards allowed.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Service")]
    [ArgumentCompleter(typeof(ServiceNameCompleter))]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>A devk8s.yaml file, or a folder to search upwards from (ProjectPath binds from pipeline objects).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("ProjectPath")]
    public string? Path { get; set; }

    private readonly List<string> _names = [];
    private string? _path;

    protected override void ProcessRecord()
    {
        if (Name is not null) _names.AddRange(Name);
        _path ??= Path;
    }

    /// <summary>The names given on the command line or the pipeline, in order.</summary>
    protected IReadOnlyList<string> Names => _names;

    /// <summary>
    /// Input was piped in and none of it named a service (<c>Get-DevService | Where-Object Mode -eq Dev | Stop-DevService</c>
    /// with nothing in dev mode): there is nothing to do, and that is not an error.
    /// </summary>
    protected bool NothingPiped => _names.Count == 0 && MyInvocation.ExpectingInput;

    protected ProjectConfig LoadProject() => EngineBridge.LoadProject(this, _path, CurrentDirectory);

    protected List<ServiceConfig> SelectServices(ProjectConfig project, bool allWhenEmpty) =>
        _names.Count == 0 && !allWhenEmpty ? [] : ServiceSelection.Select(this, project, _names);
}
