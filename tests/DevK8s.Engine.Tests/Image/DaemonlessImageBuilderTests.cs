using DevK8s.Engine.Image;
using DevK8s.Tests.Shared;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

public class DaemonlessImageBuilderTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-daemonless-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly LocalRegistryHosting Kind = new("localhost:5001", "kind-registry:5000", null, null);

    private static DaemonlessImageRequest Request(string? repository, LocalRegistryHosting? local) =>
        new() { Base = "busybox", Layers = [], Repository = repository, LocalRegistry = local, RepositoryPath = "devk8s/web" };

    [Fact]
    public void Without_a_repository_the_published_registry_is_used_and_pods_pull_by_the_runtimes_name()
    {
        var (push, pull) = DaemonlessImageBuilder.Destinations(Request(null, Kind));
        Assert.Equal(("localhost:5001/devk8s/web", "kind-registry:5000/devk8s/web"), (push.Name, pull.Name));
        (push, pull) = DaemonlessImageBuilder.Destinations(Request("localhost:5001/team/api", Kind));
        Assert.Equal(("localhost:5001/team/api", "kind-registry:5000/team/api"), (push.Name, pull.Name));
        (push, pull) = DaemonlessImageBuilder.Destinations(Request("ghcr.io/team/api", Kind));
        Assert.Equal(("ghcr.io/team/api", "ghcr.io/team/api"), (push.Name, pull.Name));
    }

    [Fact]
    public void No_repository_and_no_published_registry_says_what_to_set()
    {
        var e = Assert.Throws<RegistryException>(() => DaemonlessImageBuilder.Destinations(Request(null, null)));
        Assert.Equal(RegistryErrorKind.Configuration, e.Kind);
        Assert.Contains("image.repository", e.Message);
        Assert.Contains("local-registry-hosting", e.Message);
        Assert.Contains("must not carry a tag", Assert.Throws<FormatException>(() => DaemonlessImageBuilder.Destinations(Request("ghcr.io/team/api:v1", null))).Message);
    }

    [SkippableFact]
    public async Task Pushes_to_the_cluster_registry_under_a_content_tag_and_names_the_pod_image_by_digest()
    {
        var kube = TestCluster.Require();
        await TestRegistry.RequireAsync();
        var local = await LocalRegistryHosting.ReadAsync(kube);
        // A compiled service's size: 8 MiB, half random (code), half zeros (padding, tables).
        var file = Path.Combine(_dir, "api");
        var bytes = new byte[8 << 20];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes.AsSpan(0, 4 << 20));
        File.WriteAllBytes(file, bytes);
        var request = new DaemonlessImageRequest
        {
            Base = TestRegistry.Busybox.ToString(),
            Layers = [new LayerFile(file, "/usr/local/bin/api")],
            LocalRegistry = local,
            RepositoryPath = TestRegistry.NewRepository("facade"),
            Credentials = AnonymousCredentials.Instance,
        };
        var first = await DaemonlessImageBuilder.BuildAndPushAsync(request);
        var again = await DaemonlessImageBuilder.BuildAndPushAsync(request);
        foreach (var (name, r) in new[] { ("first", first), ("unchanged", again) })
            output.WriteLine($"{name}: layer {r.LayerSize} bytes built in {r.LayerBuildTime.TotalMilliseconds:0} ms, push {r.PushTime.TotalMilliseconds:0} ms, {r.Pushed.BytesUploaded} bytes sent");

        Assert.Equal($"127.0.0.1:5000/{request.RepositoryPath}@{first.Pushed.Digest}", first.PodImage);
        Assert.Equal(first.LayerSize, first.Pushed.LayerBytesUploaded);
        Assert.Equal((first.PodImage, 0L), (again.PodImage, again.Pushed.LayerBytesUploaded));
        using var client = new RegistryClient();
        var byTag = await client.GetManifestAsync(first.Pushed.Image with { Digest = null, Tag = "devk8s-" + first.LayerDigest[7..23] });
        Assert.Equal(first.Pushed.Digest, byTag.Digest);
    }
}
