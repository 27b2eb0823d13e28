using System.Net.Http;
using DevK8s.Tests.Shared;
using k8s;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The sample project end to end: its prod images (built by tests/run with
/// examples/sample/build-images.sh), deployed with Deploy-DevProject, answering over HTTP through
/// their ClusterIP Services, then web in dev mode with a live Python edit.
/// </summary>
public class SampleProjectTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private static TempProject CopyOfSample()
    {
        var copy = new TempProject();
        var source = Path.Combine(PowerShellHost.RepoRoot, "examples", "sample");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(source, file);
            if (rel.StartsWith("target" + Path.DirectorySeparatorChar) || rel.Contains("__pycache__")) continue;
            var to = copy.PathOf(rel);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return copy;
    }

    private static async Task<string> GetAsync(IKubernetes client, string ns, string service, string path)
    {
        var ip = (await client.CoreV1.ReadNamespacedServiceAsync(service, ns)).Spec.ClusterIP;
        return await Http.GetStringAsync($"http://{ip}:80{path}");
    }

    [SkippableFact]
    public async Task Deploys_in_prod_mode_answers_over_HTTP_and_web_takes_a_live_python_edit()
    {
        var client = TestCluster.Require();
        using var sample = CopyOfSample();
        using var host = new PowerShellHost(sample.Directory);
        var deployed = host.Invoke("Deploy-DevProject -Namespace $args[0]", ns.Name);
        deployed.AssertNoErrors();
        Assert.Equal(6, deployed.OfType("DevApplyResult").Count);
        ClusterProjectTests.WaitReady(client, "catalog", 2, ns.Name, 120);
        ClusterProjectTests.WaitReady(client, "gateway", 1, ns.Name, 120);
        ClusterProjectTests.WaitReady(client, "web", 2, ns.Name, 120);

        Assert.Contains("\"keyboard\"", await EventuallyAsync(() => GetAsync(client, ns.Name, "catalog", "/items"), b => b.Contains("keyboard")));
        // web -> gateway -> catalog, found through the variables Kubernetes injects.
        Assert.Contains("\"via\":\"gateway 1\"", await EventuallyAsync(() => GetAsync(client, ns.Name, "web", "/api/items"), b => b.Contains("via")));
        Assert.Contains("version 1\"", await GetAsync(client, ns.Name, "web", "/api/greeting"));

        var services = host.Invoke("Get-DevService -Namespace $args[0]", ns.Name).OfType("DevService");
        Assert.Equal(new[] { "catalog:Prod:2/2", "gateway:Prod:1/1", "web:Prod:2/2" }, services.Select(s => $"{s.Str("Name")}:{s.Str("Mode")}:{s.Str("Ready")}"));

        var before = TemplateJson(client, ns.Name, "web");
        host.Invoke("Start-DevService web -Namespace $args[0]", ns.Name).AssertNoErrors();
        try
        {
            var greeting = sample.PathOf("services/web/greeting.py");
            File.WriteAllText(greeting, File.ReadAllText(greeting).Replace("version 1", "version 2, live"));
            var body = await EventuallyAsync(() => GetAsync(client, ns.Name, "web", "/api/greeting"), b => b.Contains("version 2, live"), seconds: 30);
            Assert.Contains("version 2, live", body);
        }
        finally
        {
            host.Invoke("Stop-DevService web -Namespace $args[0]", ns.Name).AssertNoErrors();
        }
        Assert.Equal(before, TemplateJson(client, ns.Name, "web"));
    }
}
