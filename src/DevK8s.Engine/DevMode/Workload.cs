using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

// The permissions the API calls in this file need are rows of Doctor/ClusterPermissions.cs, which the doctor checks.
/// <summary>
/// The parts of a Deployment or StatefulSet that dev mode reads and changes, behind one shape,
/// written back with the resourceVersion it was read at (so a concurrent change is a conflict,
/// never a silent overwrite).
/// </summary>
internal sealed class Workload
{
    private readonly KubeTarget _target;
    private readonly string _ns;
    private V1Deployment? _deployment;
    private V1StatefulSet? _statefulSet;

    private Workload(KubeTarget target, string ns) => (_target, _ns) = (target, ns);

    public required WorkloadRef Ref { get; init; }

    public V1ObjectMeta Metadata => _deployment?.Metadata ?? _statefulSet!.Metadata;
    public V1PodTemplateSpec Template
    {
        get => _deployment?.Spec.Template ?? _statefulSet!.Spec.Template;
        set { if (_deployment is not null) _deployment.Spec.Template = value; else _statefulSet!.Spec.Template = value; }
    }
    public int? Replicas
    {
        get => _deployment?.Spec.Replicas ?? _statefulSet!.Spec.Replicas;
        set { if (_deployment is not null) _deployment.Spec.Replicas = value; else _statefulSet!.Spec.Replicas = value; }
    }
    public V1LabelSelector Selector => _deployment?.Spec.Selector ?? _statefulSet!.Spec.Selector;

    public IDictionary<string, string> Annotations => Metadata.Annotations ??= new Dictionary<string, string>();

    public static async Task<Workload?> ReadAsync(KubeTarget target, WorkloadRef workload, CancellationToken ct, string? ns = null)
    {
        ns ??= target.Namespace;
        try
        {
            return workload.Kind switch
            {
                "deployment" => new Workload(target, ns) { Ref = workload, _deployment = await target.Client.AppsV1.ReadNamespacedDeploymentAsync(workload.Name, ns, cancellationToken: ct).ConfigureAwait(false) },
                "statefulset" => new Workload(target, ns) { Ref = workload, _statefulSet = await target.Client.AppsV1.ReadNamespacedStatefulSetAsync(workload.Name, ns, cancellationToken: ct).ConfigureAwait(false) },
                _ => throw new ArgumentOutOfRangeException(nameof(workload)),
            };
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Writes the whole object back; fails with a conflict if it changed since it was read.</summary>
    public async Task ReplaceAsync(CancellationToken ct)
    {
        try
        {
            if (_deployment is not null)
                _deployment = await _target.Client.AppsV1.ReplaceNamespacedDeploymentAsync(_deployment, Ref.Name, _ns, fieldManager: "devk8s", cancellationToken: ct).ConfigureAwait(false);
            else
                _statefulSet = await _target.Client.AppsV1.ReplaceNamespacedStatefulSetAsync(_statefulSet!, Ref.Name, _ns, fieldManager: "devk8s", cancellationToken: ct).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            throw KubeApiException.Wrap(e);
        }
    }

    /// <summary>True once the controller has rolled out the current template to the wanted replicas and old pods are gone.</summary>
    public async Task<(bool Done, string Status)> RolloutStatusAsync(CancellationToken ct)
    {
        if (_deployment is not null)
        {
            var d = await _target.Client.AppsV1.ReadNamespacedDeploymentAsync(Ref.Name, _ns, cancellationToken: ct).ConfigureAwait(false);
            var s = d.Status ?? new V1DeploymentStatus();
            var want = d.Spec.Replicas ?? 1;
            var done = s.ObservedGeneration >= d.Metadata.Generation && (s.UpdatedReplicas ?? 0) == want && (s.Replicas ?? 0) == want && (s.AvailableReplicas ?? 0) >= want;
            return (done, $"{s.UpdatedReplicas ?? 0}/{want} updated, {s.AvailableReplicas ?? 0} available, {s.Replicas ?? 0} total");
        }
        var st = await _target.Client.AppsV1.ReadNamespacedStatefulSetAsync(Ref.Name, _ns, cancellationToken: ct).ConfigureAwait(false);
        var ss = st.Status;
        var wanted = st.Spec.Replicas ?? 1;
        var finished = ss.ObservedGeneration >= st.Metadata.Generation && ss.UpdateRevision == ss.CurrentRevision && (ss.ReadyReplicas ?? 0) >= wanted && ss.Replicas == wanted;
        return (finished, $"{ss.ReadyReplicas ?? 0}/{wanted} ready");
    }

    public string LabelSelector() => ServiceStatusReader.ToLabelSelector(Selector);
}
