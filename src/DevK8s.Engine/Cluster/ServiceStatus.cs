using DevK8s.Engine.Config;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.Cluster;

public enum ServiceMode { Prod, Dev, Missing }

/// <summary>One configured service joined with its live workload.</summary>
public sealed record ServiceStatus(
    ServiceConfig Service, string Namespace, ServiceMode Mode, string? Container, string? Image,
    int ReadyReplicas, int DesiredReplicas, DevSessionRecord? Session)
{
    /// <summary>What dev mode changed, from the recorded original and the live template (empty in prod mode).</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    /// <summary>The session's Lease: live (renewed) or stale (its process is gone), and when it was last seen.</summary>
    public DevMode.LeaseState? Lease { get; init; }

    /// <summary>Changes made by others since the session started (kubectl edit, another tool).</summary>
    public IReadOnlyList<DevMode.WorkloadDrift> Drift { get; init; } = [];
}

// The permissions the API calls in this file need are rows of Doctor/ClusterPermissions.cs, which the doctor checks.
public static class ServiceStatusReader
{
    /// <summary>One list call per workload kind, not one call per service.</summary>
    public static async Task<IReadOnlyList<ServiceStatus>> ReadAsync(
        KubeTarget target, IEnumerable<ServiceConfig> services, CancellationToken ct)
    {
        var wanted = services.ToList();
        var workloads = new Dictionary<(string Kind, string Name), (V1ObjectMeta Meta, V1PodTemplateSpec Template, int Ready, int Desired, int? Replicas)>();
        if (wanted.Any(s => s.Workload.Kind == "deployment"))
        {
            var list = await target.Client.AppsV1.ListNamespacedDeploymentAsync(target.Namespace, cancellationToken: ct).ConfigureAwait(false);
            foreach (var d in list.Items)
                workloads[("deployment", d.Metadata.Name)] = (d.Metadata, d.Spec.Template, d.Status?.ReadyReplicas ?? 0, d.Spec.Replicas ?? 1, d.Spec.Replicas);
        }
        if (wanted.Any(s => s.Workload.Kind == "statefulset"))
        {
            var list = await target.Client.AppsV1.ListNamespacedStatefulSetAsync(target.Namespace, cancellationToken: ct).ConfigureAwait(false);
            foreach (var s in list.Items)
                workloads[("statefulset", s.Metadata.Name)] = (s.Metadata, s.Spec.Template, s.Status?.ReadyReplicas ?? 0, s.Spec.Replicas ?? 1, s.Spec.Replicas);
        }

        var leases = workloads.Values.Any(w => w.Meta.Annotations?.ContainsKey(DevAnnotations.Session) == true)
            ? await DevMode.SessionLease.ListAsync(target, ct).ConfigureAwait(false)
            : new Dictionary<string, V1Lease>();
        var now = DateTimeOffset.UtcNow;
        return wanted.Select(service =>
        {
            if (!workloads.TryGetValue((service.Workload.Kind, service.Workload.Name), out var w))
                return new ServiceStatus(service, target.Namespace, ServiceMode.Missing, service.Container, null, 0, 0, null);
            var containers = w.Template.Spec.Containers;
            var container = service.Container is null ? containers.FirstOrDefault() : containers.FirstOrDefault(c => c.Name == service.Container);
            var session = DevSessionRecord.TryParse(w.Meta.Annotations?.TryGetValue(DevAnnotations.Session, out var json) == true ? json : null);
            var original = w.Meta.Annotations?.TryGetValue(DevAnnotations.Original, out var saved) == true ? DevMode.OriginalSpec.FromJson(saved) : null;
            return new ServiceStatus(service, target.Namespace, session is null ? ServiceMode.Prod : ServiceMode.Dev,
                container?.Name ?? service.Container, container?.Image, w.Ready, w.Desired, session)
            {
                Changes = original is null ? [] : DevMode.DevModeChanges.Describe(original, w.Template, w.Replicas, service.Container),
                Lease = session is null ? null
                    : DevMode.SessionLease.StateOf(leases.GetValueOrDefault(DevMode.SessionLease.NameOf(service.Workload)), now) ?? new DevMode.LeaseState("", null, false),
                Drift = session is null ? [] : DevMode.WorkloadDriftReader.Read(w.Meta, session),
            };
        }).ToList();
    }

    /// <summary>The workload's pod selector as a label selector string, or null when it does not exist.</summary>
    public static async Task<string?> LabelSelectorAsync(KubeTarget target, ServiceConfig service, CancellationToken ct)
    {
        try
        {
            var selector = service.Workload.Kind == "statefulset"
                ? (await target.Client.AppsV1.ReadNamespacedStatefulSetAsync(service.Workload.Name, target.Namespace, cancellationToken: ct).ConfigureAwait(false)).Spec.Selector
                : (await target.Client.AppsV1.ReadNamespacedDeploymentAsync(service.Workload.Name, target.Namespace, cancellationToken: ct).ConfigureAwait(false)).Spec.Selector;
            return ToLabelSelector(selector);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// A workload's pod selector as a list-call label selector: matchLabels and matchExpressions
    /// (ANDed, as the API server combines them). Dropping the expressions would widen the selector,
    /// up to selecting every pod in the namespace when a workload selects by expressions only.
    /// </summary>
    public static string ToLabelSelector(V1LabelSelector selector)
    {
        var terms = (selector.MatchLabels ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}").ToList();
        foreach (var e in selector.MatchExpressions ?? [])
            terms.Add(e.OperatorProperty switch
            {
                "In" => $"{e.Key} in ({string.Join(',', e.Values ?? [])})",
                "NotIn" => $"{e.Key} notin ({string.Join(',', e.Values ?? [])})",
                "Exists" => e.Key,
                "DoesNotExist" => "!" + e.Key,
                var op => throw new ArgumentException($"the selector of key '{e.Key}' uses operator '{op}', which is not a label selector operator (In, NotIn, Exists, DoesNotExist)."),
            });
        return string.Join(',', terms);
    }
}
