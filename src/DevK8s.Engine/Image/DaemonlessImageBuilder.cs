using System.Diagnostics;

namespace DevK8s.Engine.Image;

/// <summary>
/// What the daemonless path needs: a base in a registry, local files to add, and where to push
/// (a repository, or the cluster's published local registry with a path inside it).
/// </summary>
public sealed record DaemonlessImageRequest
{
    /// <summary>The base image reference (Docker's rules; must be in a registry, not only in a local image store).</summary>
    public required string Base { get; init; }
    public required IReadOnlyList<LayerFile> Layers { get; init; }
    /// <summary>Full repository to push to ("registry/path"); null pushes to <see cref="LocalRegistry"/>.</summary>
    public string? Repository { get; init; }
    /// <summary>The repository path inside the local registry when <see cref="Repository"/> is null, e.g. "devk8s/web".</summary>
    public string RepositoryPath { get; init; } = "devk8s/app";
    /// <summary>The cluster's published registry (KEP-1755), spoken to over plain HTTP.</summary>
    public LocalRegistryHosting? LocalRegistry { get; init; }
    /// <summary>Tag to push under; null derives one from the layer's content ("devk8s-" + 16 hex digits).</summary>
    public string? Tag { get; init; }
    public IRegistryCredentials? Credentials { get; init; }
    public ImagePlatform Platform { get; init; } = ImagePlatform.LinuxAmd64;
    public string CreatedBy { get; init; } = "devk8s layer";
    /// <summary>gzip level of the layer; Optimal pays off only on slow uplinks to remote registries.</summary>
    public System.IO.Compression.CompressionLevel Compression { get; init; } = System.IO.Compression.CompressionLevel.Fastest;
}

/// <summary>The pushed image, the name pods should use, and what it cost.</summary>
public sealed record DaemonlessImageResult(
    AssembledImage Pushed,
    /// <summary>repository@digest as the cluster's container runtime must see it (KEP-1755 hostFromContainerRuntime for the local registry).</summary>
    string PodImage,
    string LayerDigest,
    long LayerSize,
    int LayerFiles,
    TimeSpan LayerBuildTime,
    TimeSpan PushTime);

/// <summary>
/// One call for the Image strategy's daemonless path: build the layer, resolve where to push,
/// assemble on the base, push what is missing, and name the image for the pod spec by digest.
/// </summary>
public static class DaemonlessImageBuilder
{
    public static async Task<DaemonlessImageResult> BuildAndPushAsync(DaemonlessImageRequest request, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var baseImage = ImageReference.Parse(request.Base);
        var (push, pull) = Destinations(request);
        var options = new RegistryClientOptions { Credentials = request.Credentials ?? DockerConfigCredentials.Load() };
        if (request.LocalRegistry is { } local) options = local.AllowPlainHttp(options);

        var clock = Stopwatch.StartNew();
        using var layer = await Task.Run(() => LayerBuilder.Build(request.Layers, ct, request.Compression), ct).ConfigureAwait(false);
        var buildTime = clock.Elapsed;
        progress?.Report($"layer {layer.Digest[..19]}: {layer.Files} file(s), {layer.Size} bytes compressed");

        var tag = request.Tag ?? "devk8s-" + layer.Digest["sha256:".Length..][..16];
        clock.Restart();
        using var client = new RegistryClient(options);
        var pushed = await new ImageAssembler(client).AssembleAsync(
            new AssembleRequest(baseImage, push.WithTag(tag), layer) { Platform = request.Platform, CreatedBy = request.CreatedBy }, progress, ct).ConfigureAwait(false);
        return new DaemonlessImageResult(pushed, $"{pull.Name}@{pushed.Digest}", layer.Digest, layer.Size, layer.Files, buildTime, clock.Elapsed);
    }

    /// <summary>Where to push and the same repository as pods pull it.</summary>
    public static (ImageReference Push, ImageReference Pull) Destinations(DaemonlessImageRequest request)
    {
        if (request.Repository is { Length: > 0 } repository)
        {
            var target = ImageReference.Parse(repository);
            if (target.Tag is not null && target.Tag != "latest" || target.Digest is not null)
                throw new FormatException($"The repository '{repository}' must not carry a tag or digest: DevK8s tags by content and deploys by digest.");
            var plain = target.WithTag(null);
            // Pushing to the local registry by its published name still means pods pull it by the runtime's name.
            if (request.LocalRegistry is { } local && plain.Registry.Equals(local.Host, StringComparison.OrdinalIgnoreCase))
                return (plain, ImageReference.Parse($"{local.HostFromContainerRuntime}/{plain.Repository}").WithTag(null));
            return (plain, plain);
        }
        if (request.LocalRegistry is { } registry) return registry.Repositories(request.RepositoryPath);
        throw new RegistryException(RegistryErrorKind.Configuration,
            "No repository to push to: 'repository' is not set and the cluster publishes no local registry (ConfigMap kube-public/local-registry-hosting).",
            "Set image.repository in devk8s.yaml to a registry the cluster can pull from, or publish the cluster's registry as KEP-1755 describes.");
    }
}
