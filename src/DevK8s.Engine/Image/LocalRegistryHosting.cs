using k8s;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DevK8s.Engine.Image;

/// <summary>
/// The cluster's own registry as published by KEP-1755 (ConfigMap <c>kube-public/local-registry-hosting</c>,
/// key <c>localRegistryHosting.v1</c>): <see cref="Host"/> is where this machine pushes,
/// <see cref="HostFromContainerRuntime"/> the name to write in pod specs (defaults to Host),
/// <see cref="HostFromClusterNetwork"/> where pods push, <see cref="Help"/> a page to show on failure.
/// The KEP defines these registries as local and insecure: they are spoken to over plain HTTP.
/// </summary>
public sealed record LocalRegistryHosting(string Host, string HostFromContainerRuntime, string? HostFromClusterNetwork, string? Help)
{
    public const string ConfigMapNamespace = "kube-public";
    public const string ConfigMapName = "local-registry-hosting";
    public const string Key = "localRegistryHosting.v1";

    /// <summary>
    /// Parses the v1 YAML. Unknown fields are ignored (later minor revisions add some); a missing
    /// <c>host</c> yields null, since such a registry cannot be pushed to from here.
    /// </summary>
    public static LocalRegistryHosting? Parse(string yaml)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw new FormatException($"{ConfigMapNamespace}/{ConfigMapName} key {Key} is not valid YAML (line {e.Start.Line}: {e.Message}). Ask the cluster's admin to fix it.", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return null;
        string? Field(string name) =>
            root.Children.TryGetValue(new YamlScalarNode(name), out var node) && node is YamlScalarNode { Value: { Length: > 0 } v } ? v.Trim() : null;
        var host = Field("host");
        if (host is null) return null;
        return new LocalRegistryHosting(host, Field("hostFromContainerRuntime") ?? host, Field("hostFromClusterNetwork"), Field("help"));
    }

    /// <summary>Reads the published registry from the cluster; null when the cluster publishes none.</summary>
    public static async Task<LocalRegistryHosting?> ReadAsync(IKubernetes client, CancellationToken ct = default)
    {
        k8s.Models.V1ConfigMap map;
        try { map = await client.CoreV1.ReadNamespacedConfigMapAsync(ConfigMapName, ConfigMapNamespace, cancellationToken: ct).ConfigureAwait(false); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Forbidden)
        {
            // Forbidden reads the same as absent: kube-public is world-readable by design, a cluster that hides it publishes nothing to us.
            return null;
        }
        return map.Data is { } data && data.TryGetValue(Key, out var yaml) ? Parse(yaml) : null;
    }

    /// <summary>
    /// Registry client options for talking to this registry: its push host may be spoken to over
    /// plain HTTP, as the KEP prescribes.
    /// </summary>
    public RegistryClientOptions AllowPlainHttp(RegistryClientOptions options) =>
        options with { PlainHttpHosts = options.PlainHttpHosts.Append(Host).Distinct(StringComparer.OrdinalIgnoreCase).ToList() };

    /// <summary>The repository to push to and the one pods should pull from, for a repository path like "devk8s/web".</summary>
    public (ImageReference Push, ImageReference Pull) Repositories(string repositoryPath) =>
        (ImageReference.Parse($"{Host}/{repositoryPath}").WithTag(null), ImageReference.Parse($"{HostFromContainerRuntime}/{repositoryPath}").WithTag(null));
}
