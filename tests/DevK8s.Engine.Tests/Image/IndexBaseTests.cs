using System.Text;
using System.Text.Json.Nodes;
using DevK8s.Engine.Image;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

/// <summary>
/// A multi-platform OCI base, made in the test registry from the bookworm base's blobs: an index
/// whose linux/amd64 entry is an OCI manifest and whose linux/arm64 entry is the Docker one.
/// </summary>
public class IndexBaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-index-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static async Task<ImageReference> PushIndexBaseAsync(RegistryClient client)
    {
        var repo = ImageReference.Parse($"{TestRegistry.Host}/{TestRegistry.NewRepository("oci-base")}");
        var docker = await client.GetManifestAsync(TestRegistry.Bookworm);
        var manifest = JsonNode.Parse(docker.Bytes)!;
        foreach (var blob in manifest["layers"]!.AsArray().Append(manifest["config"]))
            Assert.True((await client.MountBlobAsync(repo, blob!["digest"]!.GetValue<string>(), TestRegistry.Bookworm.Repository)).Mounted);
        var dockerDigest = await client.PutManifestAsync(repo, docker.Digest, docker.Bytes, MediaTypes.DockerManifest);

        var oci = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = MediaTypes.OciConfig, ["digest"] = manifest["config"]!["digest"]!.GetValue<string>(), ["size"] = manifest["config"]!["size"]!.GetValue<long>() },
            ["layers"] = new JsonArray(manifest["layers"]!.AsArray().Select(l => (JsonNode)new JsonObject
            {
                ["mediaType"] = MediaTypes.OciLayerGzip, ["digest"] = l!["digest"]!.GetValue<string>(), ["size"] = l["size"]!.GetValue<long>(),
            }).ToArray()),
        };
        var ociBytes = Encoding.UTF8.GetBytes(oci.ToJsonString());
        var ociDigest = await client.PutManifestAsync(repo, RegistryClient.Sha256Digest(ociBytes), ociBytes, MediaTypes.OciManifest);

        JsonNode Entry(string mediaType, string digest, int size, string arch) => new JsonObject
        {
            ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size,
            ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = arch },
        };
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(Entry(MediaTypes.DockerManifest, dockerDigest, docker.Bytes.Length, "arm64"), Entry(MediaTypes.OciManifest, ociDigest, ociBytes.Length, "amd64")),
        };
        await client.PutManifestAsync(repo, "multi", Encoding.UTF8.GetBytes(index.ToJsonString()), MediaTypes.OciIndex);
        return repo.WithTag("multi");
    }

    [SkippableFact]
    public async Task An_index_base_resolves_to_linux_amd64_and_the_result_keeps_its_oci_media_types()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient();
        var baseImage = await PushIndexBaseAsync(client);
        Assert.Equal(MediaTypes.OciIndex, (await client.GetManifestAsync(baseImage)).MediaType);
        var file = Path.Combine(_dir, "app");
        File.WriteAllText(file, "oci");
        using var layer = LayerBuilder.Build([new LayerFile(file, "/app")]);

        var pushed = await new ImageAssembler(client).AssembleAsync(new AssembleRequest(baseImage, baseImage.InRepository(TestRegistry.NewRepository("oci-out")).WithTag("1"), layer));

        Assert.Equal(MediaTypes.OciManifest, pushed.ManifestMediaType);
        var back = await client.GetManifestAsync(pushed.Image);
        Assert.Equal(MediaTypes.OciManifest, back.MediaType);
        var manifest = JsonNode.Parse(back.Bytes)!;
        Assert.Equal(MediaTypes.OciConfig, manifest["config"]!["mediaType"]!.GetValue<string>());
        Assert.All(manifest["layers"]!.AsArray(), l => Assert.Equal(MediaTypes.OciLayerGzip, l!["mediaType"]!.GetValue<string>()));
        Assert.Equal(layer.Digest, manifest["layers"]!.AsArray()[^1]!["digest"]!.GetValue<string>());
    }

    [SkippableFact]
    public async Task A_platform_the_index_lacks_is_named_with_those_it_has()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient();
        var baseImage = await PushIndexBaseAsync(client);
        var file = Path.Combine(_dir, "app");
        File.WriteAllText(file, "x");
        using var layer = LayerBuilder.Build([new LayerFile(file, "/app")]);
        var e = await Assert.ThrowsAsync<RegistryException>(() => new ImageAssembler(client).AssembleAsync(
            new AssembleRequest(baseImage, baseImage.InRepository(TestRegistry.NewRepository("oci-out")), layer) { Platform = new ImagePlatform("linux", "s390x") }));
        Assert.Equal(RegistryErrorKind.NotFound, e.Kind);
        Assert.Contains("has no linux/s390x image (it has: linux/arm64, linux/amd64)", e.Message);
    }
}
