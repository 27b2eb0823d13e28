using System.Diagnostics;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Logs;

namespace DevK8s.Engine.Image;

/// <summary>What one iteration of the Image loop produced, and what each step cost.</summary>
public sealed record ImageBuildResult(
    /// <summary>repository@sha256:… as pods pull it.</summary>
    string PodImage,
    string Tag,
    /// <summary>True when the tagged image was in the registry already: nothing was built or pushed.</summary>
    bool Unchanged,
    string How,
    long BytesPushed,
    int InputFiles,
    TimeSpan Prebuild,
    TimeSpan Hash,
    TimeSpan Build,
    TimeSpan Push,
    LocalRegistryHosting? LocalRegistry)
{
    public TimeSpan Total => Prebuild + Hash + Build + Push;
}

/// <summary>
/// One build of a service's dev image: prebuild, content tag, then either nothing (the tag is in
/// the registry already) or a build and push, with the builder or daemonless; the digest comes
/// from the registry itself, so the rollout names exactly what was pushed.
/// </summary>
public static class ImageBuild
{
    public static async Task<ImageBuildResult> RunAsync(KubeTarget target, ProjectConfig project, ServiceConfig service, ILogSink logs,
        IProgress<string>? progress, CancellationToken ct)
    {
        var image = service.Image!;
        var clock = Stopwatch.StartNew();
        if (image.Prebuild is { } prebuild)
        {
            progress?.Report($"{service.Name}: prebuild: {prebuild}");
            await ExternalBuilder.RunAsync(prebuild, project.Directory, service.Name, "prebuild", logs, progress, "PrebuildFailed",
                "Fix the error above (the prebuild runs in the project folder), then save to rebuild; the pod was not touched.", ct).ConfigureAwait(false);
        }
        var prebuildTime = clock.Elapsed;

        clock.Restart();
        ExternalBuilder? builder = image.Daemonless ? null : ExternalBuilder.Resolve(image.Builder);
        var dockerfile = image.Dockerfile ?? Path.Combine(image.Context, "Dockerfile");
        ContentTag.Result tag;
        try
        {
            tag = image.Daemonless
                ? ContentTag.ForLayers(image.Base!, image.Layers.Select(l => (l.From, l.To)))
                : ContentTag.ForDockerfile(image.Context, dockerfile, image.BuildArgs, builder!.Name);
        }
        catch (FileNotFoundException e)
        {
            throw new ImageLoopException("BuildFailed", $"{service.Name}: {e.Message}",
                image.Prebuild is null ? "Build the file first, or add an image.prebuild command that does." : "Check that the prebuild writes that file.");
        }
        var hashTime = clock.Elapsed;

        var local = await LocalRegistryHosting.ReadAsync(target.Client, ct).ConfigureAwait(false);
        var request = new DaemonlessImageRequest
        {
            Base = image.Base ?? "",
            Layers = image.Layers.Select(l => new LayerFile(l.From, l.To)).ToList(),
            Repository = image.Repository,
            RepositoryPath = RepositoryPath(project, service),
            LocalRegistry = local,
            Tag = tag.Tag,
        };
        var (push, pull) = Destinations(request);
        var tagged = push.WithTag(tag.Tag);
        var options = new RegistryClientOptions { Credentials = DockerConfigCredentials.Load() };
        if (local is not null) options = local.AllowPlainHttp(options);
        using var registry = new RegistryClient(options);

        if (await ExistingDigestAsync(registry, tagged, ct).ConfigureAwait(false) is { } existing)
        {
            progress?.Report($"{service.Name}: {tag.Tag} is in {push.Name} already: nothing to build or push");
            return new ImageBuildResult($"{pull.Name}@{existing}", tag.Tag, true, "unchanged", 0, tag.Files, prebuildTime, hashTime, TimeSpan.Zero, TimeSpan.Zero, local);
        }

        if (image.Daemonless)
        {
            progress?.Report($"{service.Name}: assembling {tagged} on {image.Base}");
            var built = await Guard(service, push, local, () => DaemonlessImageBuilder.BuildAndPushAsync(request, progress, ct)).ConfigureAwait(false);
            logs.Write(new DevLogRecord(DateTimeOffset.Now, service.Name, null, null, "stdout",
                $"layer {built.LayerDigest[..19]} ({built.LayerFiles} files, {built.LayerSize} bytes) on {image.Base}; pushed {built.Pushed.BytesUploaded} bytes " +
                $"({built.Pushed.BlobsUploaded} uploaded, {built.Pushed.BlobsSkipped} present, {built.Pushed.BlobsMounted} mounted)", LogSource.Build));
            return new ImageBuildResult(built.PodImage, tag.Tag, false, "daemonless", built.Pushed.BytesUploaded, tag.Files, prebuildTime, hashTime,
                built.LayerBuildTime, built.PushTime, local);
        }

        clock.Restart();
        progress?.Report($"{service.Name}: {builder!.Name} build {tagged}");
        await ExternalBuilder.RunAsync(CommandSpec.FromArgv(builder!.BuildArgs(tagged.ToString(), image.Context, dockerfile, image.BuildArgs)),
            image.Context, service.Name, $"{builder.Name} build", logs, progress, "BuildFailed",
            "Fix the error above, then save to rebuild; the pod was not touched.", ct).ConfigureAwait(false);
        var buildTime = clock.Elapsed;

        clock.Restart();
        progress?.Report($"{service.Name}: {builder!.Name} push {tagged}");
        var plainHttp = registry.SchemeFor(push.ApiHost) == "http";
        await ExternalBuilder.RunAsync(CommandSpec.FromArgv(builder.PushArgs(tagged.ToString(), plainHttp)), image.Context, service.Name,
            $"{builder.Name} push", logs, progress, "PushFailed", PushAction(push, local), ct).ConfigureAwait(false);
        var digest = await Guard(service, push, local, async () => (await registry.GetManifestAsync(tagged, ct).ConfigureAwait(false)).Digest).ConfigureAwait(false);
        return new ImageBuildResult($"{pull.Name}@{digest}", tag.Tag, false, builder.Name, -1, tag.Files, prebuildTime, hashTime, buildTime, clock.Elapsed, local);
    }

    /// <summary>Where the cluster's own registry keeps a service's dev images when no repository is configured.</summary>
    public static string RepositoryPath(ProjectConfig project, ServiceConfig service) =>
        $"devk8s/{Sanitize(project.Name)}/{Sanitize(service.Name)}";

    private static string Sanitize(string name)
    {
        var s = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return s.Length == 0 ? "app" : s;
    }

    private static (ImageReference Push, ImageReference Pull) Destinations(DaemonlessImageRequest request)
    {
        try { return DaemonlessImageBuilder.Destinations(request); }
        catch (RegistryException e) { throw new ImageLoopException("PushFailed", e.Summary, e.Hint, inner: e); }
        catch (FormatException e) { throw new ImageLoopException("PushFailed", e.Message, "Fix image.repository in devk8s.yaml.", inner: e); }
    }

    private static async Task<string?> ExistingDigestAsync(RegistryClient registry, ImageReference tagged, CancellationToken ct)
    {
        try { return (await registry.GetManifestAsync(tagged, ct).ConfigureAwait(false)).Digest; }
        catch (RegistryException e) when (e.Kind == RegistryErrorKind.NotFound) { return null; }
        catch (RegistryException e) { throw new ImageLoopException("PushFailed", $"the registry {tagged.Registry} cannot be used: {e.Summary}", e.Hint, inner: e); }
    }

    private static async Task<T> Guard<T>(ServiceConfig service, ImageReference push, LocalRegistryHosting? local, Func<Task<T>> call)
    {
        try { return await call().ConfigureAwait(false); }
        catch (RegistryException e)
        {
            throw new ImageLoopException("PushFailed", $"{service.Name}: pushing to {push.Name} failed: {e.Summary}",
                e.Hint.Length > 0 ? e.Hint : PushAction(push, local), inner: e);
        }
    }

    private static string PushAction(ImageReference push, LocalRegistryHosting? local) =>
        local is not null && push.Registry.Equals(local.Host, StringComparison.OrdinalIgnoreCase)
            ? $"Check that the cluster's registry at {local.Host} is up" + (local.Help is null ? "." : $" ({local.Help}).")
            : $"Check that you may push to {push.Name} (docker login {push.Registry}) and that the registry is reachable; leave image.repository out to use the cluster's own registry (KEP-1755) if it publishes one.";
}
