using DevK8s.Engine.Binary;
using DevK8s.Engine.Cluster;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// The probe through the engine's own exec (PodExec) in the images users run: a busybox-only image
/// and Debian bookworm. By hand, the same binaries copied in confirm the verdicts: the glibc-dynamic
/// one dies in busybox with "sh: /tmp/glibc-dynamic: not found" (exit 127), the static one runs.
/// </summary>
[Collection(ArtifactCollection.Name)]
public class ArtifactCheckClusterTests(NamespaceFixture ns, RealBinaries bins) : IClassFixture<NamespaceFixture>
{
    private const string Target = "/app/server";

    private async Task<(KubeTarget Target, string Pod)> PodAsync(string image)
    {
        var client = TestCluster.Require();
        var name = image.Split('/', ':')[1];
        if ((await client.CoreV1.ListNamespacedPodAsync(ns.Name, labelSelector: $"app={name}")).Items.Count == 0)
            await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    TerminationGracePeriodSeconds = 0,
                    Containers = [new V1Container { Name = "main", Image = image, ImagePullPolicy = "Never", Command = ["sleep", "3600"] }],
                },
            }, ns.Name);
        var pod = await ClusterHelpers.RunningPodAsync(client, ns.Name, name);
        return (KubeTarget.Open(new KubeTargetOptions(Namespace: ns.Name, KubeconfigPath: TestCluster.KubeconfigPath)), pod.Metadata.Name);
    }

    private async Task<ArtifactVerdict> CheckAsync(string image, string artifact)
    {
        var (target, pod) = await PodAsync(image);
        using (target)
        {
            var info = ArtifactInspector.Inspect(artifact);
            var offer = await ContainerProbe.RunAsync(target, pod, "main", info, Target, CancellationToken.None);
            return ArtifactCheck.Evaluate(info, offer, artifact, Target);
        }
    }

    [SkippableFact]
    public async Task Glibc_dynamic_binary_is_refused_in_busybox_with_its_loader_named_and_static_passes()
    {
        var dynamic = await CheckAsync(ClusterProjectImages.Busybox, bins.GlibcDynamic);
        Assert.False(dynamic.Ok);
        Assert.Equal(ArtifactProblem.LoaderMissing, dynamic.Problem);
        Assert.Contains("in the container (x86_64, no C library): it is dynamically linked and its loader /lib64/ld-linux-x86-64.so.2 does not exist in the container.", dynamic.Message);

        var @static = await CheckAsync(ClusterProjectImages.Busybox, bins.GlibcStatic);
        Assert.True(@static.Ok, @static.ToString());
    }

    [SkippableFact]
    public async Task Bookworm_offers_glibc_2_36_so_the_dynamic_build_passes_and_musl_and_arm_do_not()
    {
        var dynamic = await CheckAsync(ClusterProjectImages.Bookworm, bins.GlibcDynamic);
        Assert.True(dynamic.Ok, dynamic.ToString());
        Assert.EndsWith("fits the container (x86_64, glibc 2.36).", dynamic.Message);

        var musl = await CheckAsync(ClusterProjectImages.Bookworm, bins.MuslDynamic);
        Assert.Equal(ArtifactProblem.LoaderMissing, musl.Problem);
        Assert.Contains("/lib/ld-musl-x86_64.so.1", musl.Message);

        var arm = await CheckAsync(ClusterProjectImages.Bookworm, bins.Aarch64Dynamic);
        Assert.Equal(ArtifactProblem.MachineMismatch, arm.Problem);
    }
}

/// <summary>The base images tests/cluster/up loads into the node.</summary>
internal static class ClusterProjectImages
{
    public const string Busybox = "devk8s-base/busybox:1";
    public const string Bookworm = "devk8s-base/bookworm:1";
}
