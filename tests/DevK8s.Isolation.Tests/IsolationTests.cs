using System.Management.Automation;
using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Isolation.Tests;

/// <summary>
/// DevK8s must coexist with modules that ship other versions of its dependencies. This project
/// references YamlDotNet 16 (the module ships 18) and nothing else of the module's.
/// </summary>
public class IsolationTests
{
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

}
