using System.Management.Automation;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Doctor;
using DevK8s.Infrastructure;

namespace DevK8s.Cmdlets;

/// <summary>Checks kubeconfig, cluster, permissions, Telepresence and a container builder; each finding says how to fix it.</summary>
[Cmdlet(VerbsDiagnostic.Test, "DevEnvironment")]
[OutputType(typeof(DevCheck))]
public sealed class TestDevEnvironmentCommand : DevCmdlet
{
    /// <summary>Return only $true when nothing failed, $false otherwise.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void EndProcessing()
    {
        var failed = false;
        foreach (var check in AwaitEach(ct => EnvironmentDoctor.RunAsync(new KubeTargetOptions(Context, Namespace), CurrentDirectory, ct)))
        {
            failed |= check.Status == CheckStatus.Fail;
            if (!Quiet) WriteObject(Mapper.ToOutput(check));
        }
        if (Quiet) WriteObject(!failed);
    }
}
