using System.Management.Automation;
using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Module.Tests;

public class GetDevProjectTests
{
    [Fact]
    public void Finds_the_config_by_walking_up_from_the_current_folder()
    {
        using var project = new TempProject("namespace: shop\nmanifests: [k8s]\nservices:\n  api:\n    container: server\n    intercept: {command: cargo run}\n  web:\n");
        project.Write("k8s/app.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n");
        var deep = Directory.CreateDirectory(project.PathOf("src/api/handlers")).FullName;
        using var host = new PowerShellHost(deep);
        var result = host.Invoke("Get-DevProject");
        result.AssertNoErrors();
        var p = Assert.Single(result.OfType("DevProject"));
        Assert.Equal(project.PathOf("devk8s.yaml"), p.Str("Path"));
        Assert.Equal("shop", p.Str("Namespace"));
        Assert.Equal(new[] { "k8s" }, (string[])p.Prop("Manifests")!);
        Assert.Equal(new object[] { "api", "web" }, host.Invoke("(Get-DevProject).ServiceNames").Output.Select(o => o.BaseObject));
        Assert.Equal("Intercept", host.Invoke("(Get-DevProject).Services[0].Strategy").Output.Single().ToString());
    }

    [Fact]
    public void Accepts_a_folder_or_a_file_as_Path_and_binds_FullName_from_the_pipeline()
    {
        using var project = new TempProject("services:\n  api:\n");
        using var host = new PowerShellHost();
        Assert.Single(host.Invoke("Get-DevProject -Path $args[0]", project.Directory).OfType("DevProject"));
        Assert.Single(host.Invoke("Get-DevProject $args[0]", project.PathOf("devk8s.yaml")).OfType("DevProject"));
        Assert.Single(host.Invoke("[System.IO.FileInfo]::new($args[0]) | Get-DevProject", project.PathOf("devk8s.yaml")).OfType("DevProject"));
    }

    [Fact]
    public void An_invalid_config_is_one_terminating_error_that_lists_every_problem_as_objects()
    {
        using var project = new TempProject("namespce: shop\nservices:\n  api:\n    strategy: rebuild\n");
        using var host = new PowerShellHost(project.Directory);
        var result = host.Invoke("Get-DevProject");
        Assert.Empty(result.Output);
        var error = Assert.Single(result.Errors);
        Assert.Equal("DevK8s.ConfigInvalid,DevK8s.Cmdlets.GetDevProjectCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
        Assert.Contains("devk8s.yaml:1:1: namespce: unknown key 'namespce' (did you mean 'namespace'?)", error.Exception.Message);
        Assert.Contains("devk8s.yaml:4:15: services.api.strategy: 'rebuild' is not one of image, sync, binary, intercept", error.Exception.Message);
        Assert.Contains("nothing was sent to the cluster", error.ErrorDetails.RecommendedAction);

        var lines = host.Invoke("try { Get-DevProject -ErrorAction Stop } catch { $_.Exception.Errors | ForEach-Object { '{0}:{1} {2}' -f $_.Line, $_.Column, $_.Key } }").Output.Select(o => o.ToString());
        Assert.Equal(new[] { "1:1 namespce", "4:15 services.api.strategy" }, lines);
    }

    [Fact]
    public void No_config_anywhere_says_where_it_looked_and_what_to_do()
    {
        var empty = Directory.CreateTempSubdirectory("devk8s-empty-").FullName;
        try
        {
            using var host = new PowerShellHost(empty);
            var error = Assert.Single(host.Invoke("Get-DevProject").Errors);
            Assert.StartsWith("DevK8s.ProjectNotFound,", error.FullyQualifiedErrorId);
            Assert.Contains($"No devk8s.yaml in {empty}", error.Exception.Message);
        }
        finally { Directory.Delete(empty); }
    }

    [Fact]
    public void Service_names_tab_complete_from_the_config()
    {
        using var project = new TempProject("services:\n  api:\n  web:\n  worker:\n");
        using var host = new PowerShellHost(project.Directory);
        var completions = host.Invoke("(TabExpansion2 -inputScript 'Get-DevService -Name w' -cursorColumn 22).CompletionMatches | ForEach-Object CompletionText").Output.Select(o => o.ToString());
        Assert.Equal(new[] { "web", "worker" }, completions);
    }
}
