using System.Net;
using System.Text.Json.Nodes;
using k8s.Models;

namespace DevK8s.Engine.Cluster;

/// <summary>Deferred: a workload in dev mode; its new prod spec was recorded as the original instead (see Reason).</summary>
public enum ApplyAction { Created, Configured, Unchanged, Deferred = 4 }

public sealed record ApplyResult(ManifestObject Object, string Namespace, ApplyAction Action, string ResourceVersion, string? Reason = null);

// The permissions the API calls in this file need are rows of Doctor/ClusterPermissions.cs, which the doctor checks.
/// <summary>
/// Applies prod manifests unchanged with server-side apply (field manager "devk8s"). The API
/// server computes the merge, so the live objects end up exactly as the manifests say.
/// </summary>
public sealed class ManifestApplier(KubeTarget target)
{
    public const string FieldManager = "devk8s";
    private readonly Dictionary<string, V1APIResourceList?> _discovery = new(StringComparer.Ordinal);

    // Objects others depend on go first (as Helm and kubectl do), so pods start with their config.
    private static readonly string[] KindOrder =
    [
        "Namespace", "CustomResourceDefinition", "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim",
        "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service",
        "DaemonSet", "Deployment", "StatefulSet", "Job", "CronJob", "Ingress",
    ];

    public static IReadOnlyList<ManifestObject> Order(IEnumerable<ManifestObject> objects) =>
        objects.Select((o, i) => (o, i))
               .OrderBy(p => Array.IndexOf(KindOrder, p.o.Kind) is var k and >= 0 ? k : KindOrder.Length)
               .ThenBy(p => p.i).Select(p => p.o).ToList();

    public async Task<bool> NamespaceExistsAsync(CancellationToken ct)
    {
        var (_, body) = await KubeRaw.SendAsync(target, HttpMethod.Get, $"api/v1/namespaces/{target.Namespace}", null, null, ct).ConfigureAwait(false);
        return body is not null;
    }

    public async Task CreateNamespaceAsync(CancellationToken ct)
    {
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = target.Namespace } };
        await KubeRaw.SendAsync(target, HttpMethod.Post, "api/v1/namespaces", body.ToJsonString(), "application/json", ct).ConfigureAwait(false);
    }

    /// <summary>The namespace the object lands in, or null for cluster-scoped kinds.</summary>
    public async Task<string?> TargetNamespaceAsync(ManifestObject obj, CancellationToken ct)
    {
        var resource = await ResolveAsync(obj, ct).ConfigureAwait(false);
        return resource.Namespaced ? obj.Namespace ?? target.Namespace : null;
    }

    public async Task<ApplyResult> ApplyAsync(ManifestObject obj, CancellationToken ct)
    {
        var resource = await ResolveAsync(obj, ct).ConfigureAwait(false);
        var ns = resource.Namespaced ? obj.Namespace ?? target.Namespace : null;
        var prefix = obj.ApiVersion.Contains('/') ? $"apis/{obj.ApiVersion}" : $"api/{obj.ApiVersion}";
        var collection = ns is null ? $"{prefix}/{resource.Name}" : $"{prefix}/namespaces/{ns}/{resource.Name}";
        var path = $"{collection}/{Uri.EscapeDataString(obj.Name)}";

        var (_, before) = await KubeRaw.SendAsync(target, HttpMethod.Get, path, null, null, ct).ConfigureAwait(false);
        var body = (JsonObject)obj.Body.DeepClone();
        if (ns is not null) body["metadata"]!["namespace"] = ns;
        DefaultPortProtocols(body);
        if (DevMode.DeployDuringDevMode.Applies(obj, before))
        {
            var reason = await DevMode.DeployDuringDevMode.RecordAsOriginalAsync(target, obj, body, collection, ns!, ct).ConfigureAwait(false);
            return new ApplyResult(obj, ns ?? "", ApplyAction.Deferred, before!["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "", reason);
        }
        var (_, after) = await KubeRaw.SendAsync(target, HttpMethod.Patch, $"{path}?fieldManager={FieldManager}&force=true",
            body.ToJsonString(), "application/apply-patch+yaml", ct).ConfigureAwait(false);

        var versionAfter = after?["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "";
        var action = before is null ? ApplyAction.Created : SameContent(before, after) ? ApplyAction.Unchanged : ApplyAction.Configured;
        return new ApplyResult(obj, ns ?? "", action, versionAfter);
    }

    /// <summary>
    /// Unchanged means the object says the same thing: bookkeeping (field managers, resourceVersion,
    /// status) moves when ownership of fields moves, e.g. after Stop-DevService wrote the spec back.
    /// </summary>
    private static bool SameContent(JsonNode before, JsonNode? after)
    {
        static JsonNode Strip(JsonNode node)
        {
            var copy = node.DeepClone().AsObject();
            copy.Remove("status");
            if (copy["metadata"] is JsonObject meta)
                foreach (var key in new[] { "managedFields", "resourceVersion", "generation" }) meta.Remove(key);
            return copy;
        }
        return after is not null && JsonNode.DeepEquals(Strip(before), Strip(after));
    }

    /// <summary>
    /// Server-side apply before Kubernetes 1.22 rejects a port without "protocol" ("associative list
    /// with keys has an element that omits key field"), although the API server defaults it to TCP
    /// anyway. Filling in that default keeps the applied object exactly what the manifest means.
    /// </summary>
    internal static void DefaultPortProtocols(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "ports" && value is JsonArray ports)
                        foreach (var port in ports.OfType<JsonObject>())
                            if ((port.ContainsKey("port") || port.ContainsKey("containerPort")) && !port.ContainsKey("protocol"))
                                port["protocol"] = "TCP";
                    DefaultPortProtocols(value);
                }
                break;
            case JsonArray array:
                foreach (var item in array) DefaultPortProtocols(item);
                break;
        }
    }

    private async Task<V1APIResource> ResolveAsync(ManifestObject obj, CancellationToken ct)
    {
        if (!_discovery.TryGetValue(obj.ApiVersion, out var list))
        {
            var path = obj.ApiVersion.Contains('/') ? $"apis/{obj.ApiVersion}" : $"api/{obj.ApiVersion}";
            var (_, body) = await KubeRaw.SendAsync(target, HttpMethod.Get, path, null, null, ct).ConfigureAwait(false);
            list = body is null ? null : k8s.KubernetesJson.Deserialize<V1APIResourceList>(body.ToJsonString());
            _discovery[obj.ApiVersion] = list;
        }
        var resource = list?.Resources.FirstOrDefault(r => r.Kind == obj.Kind && !r.Name.Contains('/'));
        return resource ?? throw new KubeApiException(HttpStatusCode.NotFound, "NotFound",
            $"The cluster does not serve {obj.Kind} in {obj.ApiVersion} ({obj.Source}). Check apiVersion, or install the CRD first.");
    }
}
