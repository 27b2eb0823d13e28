namespace DevK8s.Engine.Doctor;

/// <summary>One RBAC permission DevK8s uses, and which code needs it.</summary>
public sealed record ClusterPermission(string Verb, string Resource, string? Subresource, string Group, string UsedBy, bool Namespaced = true)
{
    public override string ToString() => $"{Verb} {Resource}{(Subresource is null ? "" : "/" + Subresource)}{(Group.Length == 0 ? "" : " (" + Group + ")")}";
}

/// <summary>
/// Every API call DevK8s makes, as the permission it needs: the doctor checks exactly this list. A call
/// site family that talks to the API server points here in a comment; a new call means a new row.
/// </summary>
public static class ClusterPermissions
{
    public static readonly IReadOnlyList<ClusterPermission> All =
    [
        // DevMode/Workload.cs (dev mode enter and restore: read, then a resourceVersion-checked replace; rollout status),
        // Cluster/ServiceStatus.cs (Get-DevService: one list per kind; a workload's selector).
        new("get", "deployments", null, "apps", "dev mode, Get-DevService, Watch-DevLog"),
        new("list", "deployments", null, "apps", "Get-DevService"),
        new("update", "deployments", null, "apps", "Start-/Stop-DevService (replace, never patch)"),
        new("get", "statefulsets", null, "apps", "dev mode, Get-DevService, Watch-DevLog"),
        new("list", "statefulsets", null, "apps", "Get-DevService"),
        new("update", "statefulsets", null, "apps", "Start-/Stop-DevService (replace, never patch)"),
        // DevMode/DevModeController.cs (the dev pod, the image's entrypoint), Logs/PodLogFollower.cs.
        new("list", "pods", null, "", "dev mode (finding the dev pod), Watch-DevLog"),
        new("get", "pods", null, "", "Sync, Binary, Intercept (the pod channel notices a pod deleted under work under way; the builtin engine's agent pod)"),
        new("list", "services", null, "", "Intercept, builtin engine (ports by name, a local listener per Service)"),
        new("get", "pods", "log", "", "Watch-DevLog"),
        // Exec/PodExec.cs: a WebSocket exec is a GET, authorized as 'get pods/exec' before Kubernetes 1.30
        // and as 'create pods/exec' since (AuthorizePodWebsocketUpgradeCreatePermission).
        new("create", "pods", "exec", "", "Sync (the agent channel), tool checks, entrypoint"),
        new("get", "pods", "exec", "", "Sync on Kubernetes before 1.30 (WebSocket exec)"),
        // Relay/PortForwardRelayTransport.cs: a WebSocket port-forward is a GET too, authorized the same way.
        new("create", "pods", "portforward", "", "Intercept, builtin engine (the relay link)"),
        new("get", "pods", "portforward", "", "Intercept, builtin engine on Kubernetes before 1.30 (WebSocket port-forward)"),
        // The session Lease per service (renewed while a session lives; Stale once it expires).
        new("create", "leases", null, "coordination.k8s.io", "dev sessions (liveness Lease)"),
        new("get", "leases", null, "coordination.k8s.io", "dev sessions, Get-DevService (Live or Stale)"),
        new("update", "leases", null, "coordination.k8s.io", "dev sessions (renewal, takeover)"),
        new("delete", "leases", null, "coordination.k8s.io", "Stop-DevService"),
        new("list", "leases", null, "coordination.k8s.io", "Get-DevService (one list for every session's Lease)"),
        // Cluster/ManifestApplier.cs: Deploy-DevProject creates the namespace, then applies server-side
        // (get + patch) each manifest; kinds other than Deployments need the same two verbs.
        new("get", "namespaces", null, "", "Deploy-DevProject", Namespaced: false),
        new("create", "namespaces", null, "", "Deploy-DevProject (a namespace that does not exist yet)", Namespaced: false),
        new("patch", "deployments", null, "apps", "Deploy-DevProject (server-side apply; a dry run for a workload in dev mode)"),
    ];
}
