using System.Management.Automation;
using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Module.Tests;

public class ModuleImportTests
{
    [Fact]
    public void Imports_from_the_repository_root_and_exports_the_cmdlets()
    {
        using var host = new PowerShellHost();
        var names = host.Invoke("(Get-Module DevK8s).ExportedCmdlets.Keys").Output.Select(o => o.ToString()).Order().ToArray();
        Assert.Equal(new[] { "Deploy-DevProject", "Get-DevProject", "Get-DevService", "Get-DevSession", "Start-DevService", "Stop-DevService", "Switch-DevStrategy", "Sync-DevService", "Test-DevEnvironment", "Watch-DevLog" }, names);
    }

    [Fact]
    public void Every_exported_cmdlet_uses_an_approved_verb()
    {
        using var host = new PowerShellHost();
        // Get-Verb is a Utility cmdlet (absent here); it reads the same Verbs* constants.
        var approved = typeof(VerbsCommon).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsPublic && t.Name.StartsWith("Verbs", StringComparison.Ordinal))
            .SelectMany(t => t.GetFields()).Select(f => (string)f.GetValue(null)!).ToHashSet();
        Assert.Contains("Deploy", approved);
        var verbs = host.Invoke("Get-Command -Module DevK8s | ForEach-Object Verb").Output.Select(o => o.ToString()).ToList();
        Assert.NotEmpty(verbs);
        Assert.All(verbs, v => Assert.Contains(v, approved));
    }

    [Fact]
    public void Output_types_come_from_the_cmdlet_assembly_not_from_third_party_libraries()
    {
        using var host = new PowerShellHost();
        var types = host.Invoke("Get-Command -Module DevK8s | ForEach-Object { $_.OutputType.Type.Assembly.GetName().Name }").Output.Select(o => o.ToString()).Distinct().ToList();
        Assert.Equal(new[] { "DevK8s" }, types);
    }
}
