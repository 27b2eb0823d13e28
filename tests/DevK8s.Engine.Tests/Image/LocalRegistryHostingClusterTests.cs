using DevK8s.Engine.Image;
using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

/// <summary>The test cluster publishes its registry the KEP-1755 way (tests/cluster/local-registry-hosting).</summary>
public class LocalRegistryHostingClusterTests
{
    [SkippableFact]
    public async Task The_test_cluster_publishes_its_registry_and_the_published_host_serves_the_base()
    {
        var client = TestCluster.Require();
        var hosting = await LocalRegistryHosting.ReadAsync(client)
            ?? throw new InvalidOperationException("kube-public/local-registry-hosting is missing: run tests/cluster/local-registry-hosting");
        Assert.Equal(("127.0.0.1:5000", "127.0.0.1:5000"), (hosting.Host, hosting.HostFromContainerRuntime));
        using var registry = new RegistryClient(hosting.AllowPlainHttp(new RegistryClientOptions()));
        var (push, _) = hosting.Repositories("devk8s-base/bookworm");
        var manifest = await registry.GetManifestAsync(push.WithTag("1"));
        Assert.Equal(MediaTypes.DockerManifest, manifest.MediaType);
    }
}
