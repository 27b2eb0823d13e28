using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using DevK8s.Engine.Image;
using Xunit;
using Xunit.Abstractions;

namespace DevK8s.Engine.Tests.Image;

/// <summary>The daemonless push against the test cluster's real registry, on the bookworm base it holds.</summary>
public class ClusterRegistryPushTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-push-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Artifact(string name, int randomBytes)
    {
        var path = Path.Combine(_dir, name);
        var bytes = new byte[randomBytes];
        RandomNumberGenerator.Fill(bytes);
        File.WriteAllBytes(path, bytes);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    internal static async Task<byte[]?> FileInLayerAsync(RegistryClient client, ImageReference repo, string layerDigest, string pathInImage)
    {
        var blob = await client.GetBlobBytesAsync(repo, layerDigest);
        using var reader = new TarReader(new GZipStream(new MemoryStream(blob), CompressionMode.Decompress));
        while (reader.GetNextEntry() is { } e)
        {
            if (e.Name != pathInImage.TrimStart('/') || e.DataStream is null) continue;
            using var copy = new MemoryStream();
            e.DataStream.CopyTo(copy);
            return copy.ToArray();
        }
        return null;
    }

    [SkippableFact]
    public async Task Layer_on_bookworm_mounts_the_base_uploads_only_the_layer_and_reads_back_intact()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient();
        var target = ImageReference.Parse($"{TestRegistry.Host}/{TestRegistry.NewRepository("layers")}:dev");
        var api = Artifact("api", 300_000);
        using var layer = LayerBuilder.Build([new LayerFile(api, "/usr/local/bin/api")]);

        var pushed = await new ImageAssembler(client).AssembleAsync(new AssembleRequest(TestRegistry.Bookworm, target, layer) { CreatedBy = "devk8s layer: api" });

        var baseManifest = JsonNode.Parse((await client.GetManifestAsync(TestRegistry.Bookworm)).Bytes)!;
        var baseLayers = baseManifest["layers"]!.AsArray();
        output.WriteLine($"base layers {baseLayers.Count}, {baseLayers.Sum(l => l!["size"]!.GetValue<long>())} bytes; layer {layer.Size} bytes; sent {pushed.BytesUploaded} bytes; mounted {pushed.BlobsMounted}, uploaded {pushed.BlobsUploaded}");
        // Cross-repository mount: the base's layers were linked, not sent; only the new layer, config and manifest travelled.
        Assert.Equal(baseLayers.Count, pushed.BlobsMounted);
        Assert.Equal(2, pushed.BlobsUploaded);
        Assert.Equal(layer.Size, pushed.LayerBytesUploaded);
        Assert.True(pushed.BytesUploaded < layer.Size + 10_000, $"sent {pushed.BytesUploaded} bytes for a {layer.Size}-byte layer");

        var back = await client.GetManifestAsync(target.WithDigest(pushed.Digest));
        Assert.Equal(pushed.Digest, back.Digest);
        Assert.Equal(MediaTypes.DockerManifest, back.MediaType);
        var manifest = JsonNode.Parse(back.Bytes)!;
        var layers = manifest["layers"]!.AsArray();
        Assert.Equal(baseLayers.Select(l => l!["digest"]!.GetValue<string>()).Append(layer.Digest), layers.Select(l => l!["digest"]!.GetValue<string>()));
        Assert.Equal(MediaTypes.DockerLayerGzip, layers[^1]!["mediaType"]!.GetValue<string>());
        Assert.Equal(layer.Size, layers[^1]!["size"]!.GetValue<long>());

        var baseConfig = JsonNode.Parse(await client.GetBlobBytesAsync(TestRegistry.Bookworm, baseManifest["config"]!["digest"]!.GetValue<string>()))!;
        var config = JsonNode.Parse(await client.GetBlobBytesAsync(target, manifest["config"]!["digest"]!.GetValue<string>()))!;
        Assert.Equal(baseConfig["rootfs"]!["diff_ids"]!.AsArray().Select(d => d!.GetValue<string>()).Append(layer.DiffId),
            config["rootfs"]!["diff_ids"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal("devk8s layer: api", config["history"]!.AsArray()[^1]!["created_by"]!.GetValue<string>());
        Assert.Equal(baseConfig["config"]!["Cmd"]!.ToJsonString(), config["config"]!["Cmd"]!.ToJsonString());

        Assert.Equal(File.ReadAllBytes(api), await FileInLayerAsync(client, target, layer.Digest, "/usr/local/bin/api"));
        Assert.Equal(pushed.Digest, (await client.GetManifestAsync(target)).Digest);
    }

    [SkippableFact]
    public async Task Pushing_the_same_file_again_sends_no_layer_bytes_and_yields_the_same_digest()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient();
        var target = ImageReference.Parse($"{TestRegistry.Host}/{TestRegistry.NewRepository("reuse")}:dev");
        var api = Artifact("api", 200_000);
        var assembler = new ImageAssembler(client);

        AssembledImage first, second;
        using (var layer = LayerBuilder.Build([new LayerFile(api, "/usr/local/bin/api")]))
            first = await assembler.AssembleAsync(new AssembleRequest(TestRegistry.Bookworm, target, layer));
        File.SetLastWriteTimeUtc(api, DateTime.UtcNow.AddMinutes(5));
        using (var layer = LayerBuilder.Build([new LayerFile(api, "/usr/local/bin/api")]))
            second = await assembler.AssembleAsync(new AssembleRequest(TestRegistry.Bookworm, target, layer));

        output.WriteLine($"first push {first.BytesUploaded} bytes (layer {first.LayerBytesUploaded}); second push {second.BytesUploaded} bytes (layer {second.LayerBytesUploaded})");
        Assert.True(first.LayerBytesUploaded > 200_000);
        Assert.Equal(0, second.LayerBytesUploaded);
        Assert.Equal(0, second.BlobsUploaded);
        Assert.Equal(0, second.BlobsMounted);
        Assert.True(second.BytesUploaded < 2_000, $"the second push sent {second.BytesUploaded} bytes: only the manifest should travel");
        Assert.Equal(first.Digest, second.Digest);
    }

    /// <summary>Plays a registry without cross-repository mount: the mount parameters never reach it, so it opens a plain upload session (202).</summary>
    private sealed class NoMountHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public int MountsRefused;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.Query.Contains("mount="))
            {
                Interlocked.Increment(ref MountsRefused);
                request.RequestUri = new UriBuilder(request.RequestUri) { Query = "" }.Uri;
            }
            return base.SendAsync(request, ct);
        }
    }

    [SkippableFact]
    public async Task Without_mount_support_the_base_layers_go_into_the_offered_upload_session()
    {
        await TestRegistry.RequireAsync();
        using var handler = new NoMountHandler();
        using var client = new RegistryClient(new RegistryClientOptions { Handler = handler });
        var target = ImageReference.Parse($"{TestRegistry.Host}/{TestRegistry.NewRepository("nomount")}:dev");
        var file = Artifact("app", 1000);
        using var layer = LayerBuilder.Build([new LayerFile(file, "/app")]);

        var pushed = await new ImageAssembler(client).AssembleAsync(new AssembleRequest(TestRegistry.Busybox, target, layer));

        var baseManifest = JsonNode.Parse((await client.GetManifestAsync(TestRegistry.Busybox)).Bytes)!;
        var baseBytes = baseManifest["layers"]!.AsArray().Sum(l => l!["size"]!.GetValue<long>());
        output.WriteLine($"mounts refused {handler.MountsRefused}; sent {pushed.BytesUploaded} bytes, of which base {baseBytes}");
        Assert.Equal(baseManifest["layers"]!.AsArray().Count, handler.MountsRefused);
        Assert.Equal(0, pushed.BlobsMounted);
        Assert.True(pushed.BytesUploaded > baseBytes + layer.Size, $"sent {pushed.BytesUploaded} bytes");
        Assert.Equal(File.ReadAllBytes(file), await FileInLayerAsync(client, target, layer.Digest, "/app"));
        Assert.Equal(pushed.Digest, (await client.GetManifestAsync(target)).Digest);
    }

    [SkippableFact]
    public async Task A_missing_tag_or_repository_is_the_registrys_own_not_found()
    {
        await TestRegistry.RequireAsync();
        using var client = new RegistryClient();
        var tag = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(TestRegistry.Bookworm.WithTag("no-such-tag")));
        Assert.Equal(RegistryErrorKind.NotFound, tag.Kind);
        Assert.Contains(tag.Errors, e => e.Code == "MANIFEST_UNKNOWN");
        Assert.Contains("Check the image name and tag", tag.Message);
        var repo = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(ImageReference.Parse($"{TestRegistry.Host}/devk8s-test/never-pushed:1")));
        Assert.Equal(RegistryErrorKind.NotFound, repo.Kind);
        // distribution 2.8 says MANIFEST_UNKNOWN here, other registries NAME_UNKNOWN: both are "not found".
        Assert.Contains(repo.Errors, e => e.Code is "NAME_UNKNOWN" or "MANIFEST_UNKNOWN");
    }
}
