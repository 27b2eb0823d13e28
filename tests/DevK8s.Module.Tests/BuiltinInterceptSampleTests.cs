using System.Net.Http;
using DevK8s.Tests.Shared;
using k8s;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The sample as its author uses it: web in the cluster → gateway running locally (cargo run,
/// builtin intercept, devk8s.yaml unchanged) → catalog in the cluster, which the local gateway
/// reaches through CATALOG_SERVICE_HOST/PORT pointing at DevK8s's local listener.
/// </summary>
public class BuiltinInterceptSampleTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<string> GetAsync(IKubernetes client, string ns, string service, string path)
    {
        var ip = (await client.CoreV1.ReadNamespacedServiceAsync(service, ns)).Spec.ClusterIP;
        return await Http.GetStringAsync($"http://{ip}:80{path}");
    }

    [SkippableFact]
    public async Task Web_in_the_cluster_reaches_the_local_gateway_which_reaches_the_catalog_in_the_cluster()
    {
        var client = TestCluster.Require();
        using var sample = SampleCopy.Create();
        using var host = new PowerShellHost(sample.Directory);
        host.Invoke("Deploy-DevProject -Namespace $args[0]", ns.Name).AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "catalog", 2, ns.Name, 120);
        ClusterProjectTests.WaitReady(client, "gateway", 1, ns.Name, 120);
        ClusterProjectTests.WaitReady(client, "web", 2, ns.Name, 120);
        var prod = await EventuallyAsync(() => GetAsync(client, ns.Name, "web", "/api/items"), b => b.Contains("keyboard"), seconds: 60);
        var before = TemplateJson(client, ns.Name, "gateway");

        host.Invoke("Start-DevService gateway -Namespace $args[0]", ns.Name).AssertNoErrors();
        try
        {
            // cargo builds the gateway first: give it time, then the local gateway answers for the Service.
            var body = await EventuallyAsync(() => GetAsync(client, ns.Name, "web", "/api/items"), b => b.Contains("\"catalog\":\"127.0.0.1:"), seconds: 300);
            Assert.Contains("\"via\":\"gateway 1\"", body);
            // The real catalog data, the same the prod path returned.
            Assert.Equal(prod[prod.IndexOf("\"items\"")..], body[body.IndexOf("\"items\"")..]);
        }
        finally
        {
            host.Invoke("Stop-DevService gateway -Namespace $args[0]", ns.Name).AssertNoErrors();
        }
        Assert.Equal(before, TemplateJson(client, ns.Name, "gateway"));
    }
}

/// <summary>A copy of examples/sample without build output.</summary>
internal static class SampleCopy
{
    public static TempProject Create()
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
}
