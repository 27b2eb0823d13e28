using k8s;
using k8s.Models;
using Xunit;

namespace DevK8s.Tests.Shared;

/// <summary>
/// The real test cluster (tests/cluster/up). Cluster-backed tests never pass silently without it:
/// they fail with how to start it, unless DEVK8S_TEST_NO_CLUSTER=1 opts out, in which case they
/// are reported as skipped (and counted as such in the summary).
/// </summary>
public static class TestCluster
{
    public const string DefaultKubeconfig = "/var/lib/devk8s-cluster/kubeconfig";

    public static string KubeconfigPath { get; } =
        Environment.GetEnvironmentVariable("DEVK8S_TEST_KUBECONFIG") is { Length: > 0 } p ? p : DefaultKubeconfig;

    public static bool OptedOut => Environment.GetEnvironmentVariable("DEVK8S_TEST_NO_CLUSTER") == "1";

    private static readonly Lazy<(IKubernetes? Client, string? Problem)> Connection = new(Connect);

    /// <summary>Call first in every cluster-backed test.</summary>
    public static IKubernetes Require()
    {
        Skip.If(OptedOut, "DEVK8S_TEST_NO_CLUSTER=1: cluster-backed test not run");
        var (client, problem) = Connection.Value;
        return client ?? throw new InvalidOperationException(problem);
    }

    private static (IKubernetes?, string?) Connect()
    {
        const string how = "Start it with: tests/cluster/up (or run everything with tests/run). " +
                           "To run without a cluster, set DEVK8S_TEST_NO_CLUSTER=1: those tests are then reported as skipped.";
        if (!File.Exists(KubeconfigPath))
            return (null, $"The test cluster's kubeconfig {KubeconfigPath} does not exist. {how}");
        try
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath);
            var client = new Kubernetes(config);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            client.Version.GetCodeAsync(timeout.Token).GetAwaiter().GetResult();
            // The cmdlets under test read the same kubeconfig, as a user's session would.
            Environment.SetEnvironmentVariable("KUBECONFIG", KubeconfigPath);
            return (client, null);
        }
        catch (Exception e)
        {
            return (null, $"The test cluster at {KubeconfigPath} does not answer ({e.GetType().Name}: {e.Message}). {how}");
        }
    }
}

/// <summary>A namespace of its own for each test class, deleted afterwards.</summary>
public sealed class NamespaceFixture : IAsyncLifetime
{
    public string Name { get; } = "devk8s-t-" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync()
    {
        if (TestCluster.OptedOut) return;
        var client = TestCluster.Require();
        await RemoveAbandonedAsync(client);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Name, Labels = new Dictionary<string, string> { ["devk8s.io/test"] = "true" } } });
        // Pods are refused ("No API token found for service account default") until the token
        // controller has given the namespace's default ServiceAccount its secret (Kubernetes < 1.24).
        for (var i = 0; i < 240; i++)
        {
            try
            {
                if ((await client.CoreV1.ReadNamespacedServiceAccountAsync("default", Name)).Secrets is { Count: > 0 }) return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"namespace {Name}: the default ServiceAccount got no token within 60 s");
    }

    // A run that was killed cannot delete its namespaces; the next run removes those older than an hour.
    private static async Task RemoveAbandonedAsync(IKubernetes client)
    {
        var list = await client.CoreV1.ListNamespaceAsync(labelSelector: "devk8s.io/test=true");
        foreach (var old in list.Items.Where(n => n.Metadata.CreationTimestamp < DateTime.UtcNow.AddHours(-1) && n.Status?.Phase == "Active"))
        {
            try { await client.CoreV1.DeleteNamespaceAsync(old.Metadata.Name); }
            catch (k8s.Autorest.HttpOperationException) { }
        }
    }

    public async Task DisposeAsync()
    {
        if (TestCluster.OptedOut) return;
        try { await TestCluster.Require().CoreV1.DeleteNamespaceAsync(Name); }
        catch (k8s.Autorest.HttpOperationException) { }
    }
}
