using System.Management.Automation;
using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Module.Tests;

public class HelpTests
{
    public static TheoryData<string> Cmdlets()
    {
        using var host = new PowerShellHost();
        var data = new TheoryData<string>();
        foreach (var name in host.Invoke("(Get-Module DevK8s).ExportedCmdlets.Keys").Output) data.Add(name.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void Every_cmdlet_has_a_synopsis_examples_and_described_parameters(string cmdlet)
    {
        using var host = new PowerShellHost();
        var help = Assert.Single(host.Invoke("Get-Help $args[0] -Full", cmdlet).Output);
        var synopsis = help.Str("Synopsis")!;
        Assert.DoesNotContain("[<CommonParameters>]", synopsis); // the fallback text when no MAML is found
        Assert.True(synopsis.Length > 20, synopsis);

        var examples = host.Invoke("@((Get-Help $args[0] -Examples).examples.example)", cmdlet).Output;
        Assert.True(examples.Count >= 2, $"{cmdlet}: {examples.Count} examples");
        Assert.All(examples, e => Assert.Contains(cmdlet, e.Str("code")));

        var declared = host.Invoke("(Get-Command $args[0]).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }", cmdlet)
            .Output.Select(o => o.ToString()).ToList();
        var documented = host.Invoke("@((Get-Help $args[0] -Full).parameters.parameter) | Where-Object { $_.description } | ForEach-Object name", cmdlet)
            .Output.Select(o => o.ToString()).ToList();
        Assert.NotEmpty(declared);
        Assert.All(declared, p => Assert.Contains(p, documented));
    }
}
