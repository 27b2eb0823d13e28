using System.Management.Automation;
using DevK8s.Engine.DevMode;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Lists the dev sessions this PowerShell session drives (Get-DevService shows everyone's).</summary>
[Cmdlet(VerbsCommon.Get, "DevSession")]
[OutputType(typeof(DevSession))]
public sealed class GetDevSessionCommand : PSCmdlet
{
    /// <summary>Service names; wildcards allowed. Default: all sessions.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Service")]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var patterns = (Name ?? ["*"]).Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var session in Sessions())
            if (patterns.Any(p => p.IsMatch(session.Service)))
                WriteObject(session);
    }

    private static IEnumerable<DevSession> Sessions() => DevSessions.All.Select(Mapper.ToOutput).ToList();
}
