using System.Text.Json;
using System.Text.Json.Nodes;

namespace DevK8s.Engine.Image;

/// <summary>The platform to pick from a multi-platform base (an OCI index or Docker manifest list).</summary>
public sealed record ImagePlatform(string Os, string Architecture, string? Variant = null)
{
    public static readonly ImagePlatform LinuxAmd64 = new("linux", "amd64");
    public override string ToString() => $"{Os}/{Architecture}" + (Variant is null ? "" : "/" + Variant);
}

/// <summary>What to assemble: the base, where to push, the layer to add, and how to describe it.</summary>
public sealed record AssembleRequest(ImageReference Base, ImageReference Target, BuiltLayer Layer)
{
    public ImagePlatform Platform { get; init; } = ImagePlatform.LinuxAmd64;
    /// <summary>The history entry's created_by, shown by docker history.</summary>
    public string CreatedBy { get; init; } = "devk8s layer";
    /// <summary>Stamped as the config's and the history entry's creation time; fixed by default so equal inputs give equal digests.</summary>
    public DateTimeOffset Created { get; init; } = LayerBuilder.FixedTime;
}

/// <summary>The pushed image and what the push cost.</summary>
public sealed record AssembledImage(
    ImageReference Image,
    string Digest,
    string ManifestMediaType,
    string ConfigDigest,
    long BytesUploaded,
    long LayerBytesUploaded,
    int BlobsSkipped,
    int BlobsMounted,
    int BlobsUploaded)
{
    /// <summary>The reference to put in a pod spec: repository@digest.</summary>
    public string PinnedReference => $"{Image.Name}@{Digest}";
}

/// <summary>
/// Daemonless image assembly: reads the base's manifest and config from the registry (no layer
/// downloads), appends one layer, writes a new config and manifest of the base's media types, and
/// pushes only what the target lacks: each blob is HEADed first, base layers are mounted from the
/// base repository when it lives on the same registry (copied through otherwise), and only missing
/// blobs are uploaded, each in one PUT.
/// </summary>
public sealed class ImageAssembler(RegistryClient client)
{
    public async Task<AssembledImage> AssembleAsync(AssembleRequest request, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var (baseImage, manifestBytes, mediaType) = await ResolveBaseAsync(request.Base, request.Platform, ct).ConfigureAwait(false);
        var manifest = JsonNode.Parse(manifestBytes)!.AsObject();
        var baseConfigDigest = manifest["config"]?["digest"]?.GetValue<string>()
            ?? throw new RegistryException(RegistryErrorKind.Protocol, $"The manifest of {baseImage} has no config.", "Use a base image built by a current tool (docker, buildah, ko).");
        var configBytes = await client.GetBlobBytesAsync(baseImage, baseConfigDigest, ct).ConfigureAwait(false);

        var config = AppendToConfig(configBytes, request);
        var configDigest = RegistryClient.Sha256Digest(config);
        var newManifest = AppendToManifest(manifest, mediaType, config, configDigest, request.Layer);

        var target = request.Target;
        long uploaded = 0, layerUploaded = 0;
        int skipped = 0, mounted = 0, sent = 0;
        var baseLayers = manifest["layers"]!.AsArray().Select(l => (Digest: l!["digest"]!.GetValue<string>(), Size: l["size"]!.GetValue<long>())).ToList();
        progress?.Report($"pushing to {target.Name}: {baseLayers.Count} base layer(s), 1 new layer ({request.Layer.Size} bytes)");

        // Base layers are independent; checking and mounting them together saves round trips.
        var baseResults = await Task.WhenAll(baseLayers.Select(l => EnsureBaseLayerAsync(baseImage, target, l.Digest, l.Size, ct))).ConfigureAwait(false);
        foreach (var (outcome, bytes) in baseResults)
        {
            uploaded += bytes;
            switch (outcome)
            {
                case BlobOutcome.Present: skipped++; break;
                case BlobOutcome.Mounted: mounted++; break;
                default: sent++; break;
            }
        }

        if (await client.BlobExistsAsync(target, request.Layer.Digest, ct).ConfigureAwait(false)) skipped++;
        else
        {
            layerUploaded = await client.UploadBlobAsync(target, request.Layer.Digest, request.Layer.OpenRead, request.Layer.Size, null, ct).ConfigureAwait(false);
            uploaded += layerUploaded;
            sent++;
        }
        if (await client.BlobExistsAsync(target, configDigest, ct).ConfigureAwait(false)) skipped++;
        else
        {
            uploaded += await client.UploadBlobAsync(target, configDigest, () => new MemoryStream(config, writable: false), config.Length, null, ct).ConfigureAwait(false);
            sent++;
        }

        var reference = target.Tag ?? RegistryClient.Sha256Digest(newManifest);
        var digest = await client.PutManifestAsync(target, reference, newManifest, mediaType, ct).ConfigureAwait(false);
        uploaded += newManifest.Length;
        progress?.Report($"pushed {target.Name}@{digest}: {uploaded} bytes sent");
        return new AssembledImage(target.WithDigest(digest), digest, mediaType, configDigest, uploaded, layerUploaded, skipped, mounted, sent);
    }

    private enum BlobOutcome { Present, Mounted, Uploaded }

    private async Task<(BlobOutcome, long)> EnsureBaseLayerAsync(ImageReference from, ImageReference target, string digest, long size, CancellationToken ct)
    {
        if (await client.BlobExistsAsync(target, digest, ct).ConfigureAwait(false)) return (BlobOutcome.Present, 0);
        Uri? location = null;
        if (from.ApiHost.Equals(target.ApiHost, StringComparison.OrdinalIgnoreCase))
        {
            var (isMounted, uploadLocation) = await client.MountBlobAsync(target, digest, from.Repository, ct).ConfigureAwait(false);
            if (isMounted) return (BlobOutcome.Mounted, 0);
            location = uploadLocation;
        }
        // Another registry (or one that cannot mount): stream the blob through, never to disk.
        await using var source = await client.OpenBlobAsync(from, digest, ct).ConfigureAwait(false);
        var opened = false;
        var sentBytes = await client.UploadBlobAsync(target, digest, () =>
        {
            if (opened) throw new RegistryException(RegistryErrorKind.Protocol, $"{target.Registry} asked to send base layer {digest} again, which cannot be replayed from {from.Registry}.", "Try the push again.");
            opened = true;
            return source;
        }, size, location, ct).ConfigureAwait(false);
        return (BlobOutcome.Uploaded, sentBytes);
    }

    /// <summary>The base's single-platform manifest: an index or list is resolved to the platform asked for.</summary>
    private async Task<(ImageReference Image, byte[] Manifest, string MediaType)> ResolveBaseAsync(ImageReference image, ImagePlatform platform, CancellationToken ct)
    {
        var response = await client.GetManifestAsync(image, ct).ConfigureAwait(false);
        if (MediaTypes.IsIndex(response.MediaType))
        {
            var index = JsonNode.Parse(response.Bytes)!;
            var match = index["manifests"]?.AsArray().FirstOrDefault(m =>
                m?["platform"] is { } p &&
                p["os"]?.GetValue<string>() == platform.Os &&
                p["architecture"]?.GetValue<string>() == platform.Architecture &&
                (platform.Variant is null || p["variant"]?.GetValue<string>() == platform.Variant));
            if (match?["digest"]?.GetValue<string>() is not { } digest)
            {
                var offered = index["manifests"]?.AsArray().Select(m => m?["platform"] is { } p ? $"{p["os"]}/{p["architecture"]}" : "?").Distinct() ?? [];
                throw new RegistryException(RegistryErrorKind.NotFound, $"The base {image} has no {platform} image (it has: {string.Join(", ", offered)}).",
                    "Pick a base built for the cluster's nodes, or set the platform to one of those.");
            }
            image = image.WithDigest(digest);
            response = await client.GetManifestAsync(image, ct).ConfigureAwait(false);
        }
        if (!MediaTypes.IsImageManifest(response.MediaType))
            throw new RegistryException(RegistryErrorKind.Protocol, $"The base {image} has a manifest of type '{response.MediaType}', which DevK8s cannot extend.",
                "Use a base pushed as an OCI or Docker v2 schema 2 image (any current docker, podman or buildah push).");
        return (image, response.Bytes, response.MediaType);
    }

    private static byte[] AppendToConfig(byte[] baseConfig, AssembleRequest request)
    {
        var config = JsonNode.Parse(baseConfig)!.AsObject();
        var rootfs = config["rootfs"] as JsonObject ?? new JsonObject { ["type"] = "layers" };
        config["rootfs"] = rootfs;
        var diffIds = rootfs["diff_ids"] as JsonArray ?? [];
        rootfs["diff_ids"] = diffIds;
        diffIds.Add(request.Layer.DiffId);
        var created = request.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var history = config["history"] as JsonArray ?? [];
        config["history"] = history;
        history.Add(new JsonObject { ["created"] = created, ["created_by"] = request.CreatedBy, ["comment"] = "devk8s" });
        config["created"] = created;
        return Serialize(config);
    }

    // Relaxed escaping keeps '+' in media types literal, as every other tool writes them.
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] Serialize(JsonNode node) => System.Text.Encoding.UTF8.GetBytes(node.ToJsonString(Compact));

    private static byte[] AppendToManifest(JsonObject manifest, string mediaType, byte[] config, string configDigest, BuiltLayer layer)
    {
        var copy = JsonNode.Parse(manifest.ToJsonString())!.AsObject();
        var configDescriptor = copy["config"]!.AsObject();
        configDescriptor["size"] = config.Length;
        configDescriptor["digest"] = configDigest;
        copy["layers"]!.AsArray().Add(new JsonObject
        {
            ["mediaType"] = MediaTypes.LayerFor(mediaType),
            ["size"] = layer.Size,
            ["digest"] = layer.Digest,
        });
        return Serialize(copy);
    }
}
