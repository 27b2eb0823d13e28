using System.Management.Automation;
using Xunit;

namespace DevK8s.Module.Tests;

public class ModuleImportTests
{
    [Fact]
    public void Imports_from_the_repository_root_and_exports_the_cmdlets()
    {
        using var host = new PowerShellHost();
        var names = host.Invoke("(Get-Module DevK8s).ExportedCmdlets.Keys").Output.Select(o => o.ToString()).Order().ToArray();
        Assert.Equal(new[] { "Deploy-DevProject", "Get-DevProject", "Get-DevService", "Test-DevEnvironment" }, names);
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
    public void Engine_and_dependencies_load_in_the_module_context_not_the_default_one()
    {
        using var project = new TempProject("services:\n  api: {}\n");
        using var host = new PowerShellHost(project.Directory);
        var result = host.Invoke("Get-DevProject | Out-Null; [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in 'DevK8s.Engine','YamlDotNet' } | ForEach-Object { '{0}|{1}' -f $_.GetName().Name, [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }");
        Assert.Empty(result.Errors);
        var contexts = result.Output.Select(o => o.ToString()!).ToList();
        Assert.Contains("DevK8s.Engine|DevK8s", contexts);
        Assert.Contains("YamlDotNet|DevK8s", contexts);
    }

    [Fact]
    public void Coexists_with_a_different_YamlDotNet_already_loaded_in_the_session()
    {
        // The test process loads YamlDotNet 16.3 into the default context first, as powershell-yaml would.
        var other = typeof(YamlDotNet.Serialization.Deserializer).Assembly;
        Assert.Equal(16, other.GetName().Version!.Major);
        new YamlDotNet.Serialization.Deserializer().Deserialize<Dictionary<string, string>>("a: b");

        using var project = new TempProject("namespace: shop\nservices:\n  api:\n    workload: deployment/api-server\n");
        using var host = new PowerShellHost(project.Directory);
        var result = host.Invoke("Get-DevProject");
        Assert.Empty(result.Errors);
        var parsed = Assert.Single(result.OfType("DevProject"));
        Assert.Equal("shop", parsed.Str("Namespace"));
        var services = (Array)parsed.Prop("Services")!;
        Assert.Equal("deployment/api-server", PSObject.AsPSObject(Assert.Single(services.Cast<object>())).Str("Workload"));
        var yamls = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "YamlDotNet").Select(a => a.GetName().Version!.Major).Order().ToArray();
        Assert.Equal(new[] { 16, 18 }, yamls);
    }

    [Fact]
    public void Output_types_come_from_the_cmdlet_assembly_not_from_third_party_libraries()
    {
        using var host = new PowerShellHost();
        var types = host.Invoke("Get-Command -Module DevK8s | ForEach-Object { $_.OutputType.Type.Assembly.GetName().Name }").Output.Select(o => o.ToString()).Distinct().ToList();
        Assert.Equal(new[] { "DevK8s" }, types);
    }
}
