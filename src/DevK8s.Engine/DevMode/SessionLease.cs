using System.Net;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>What a service's Lease says about its dev session: who holds it and whether they are still there.</summary>
public sealed record LeaseState(string Holder, DateTimeOffset? LastSeen, bool Live);

/// <summary>
/// A coordination.k8s.io/v1 Lease per service in dev mode, renewed every few seconds by the process
/// that drives the session. When that process is gone (killed, a script that ended), the Lease
/// expires and anyone can tell a live session from a stale one.
/// </summary>
// Lease verbs used here are in the doctor's table, Doctor/ClusterPermissions.cs.
public static class SessionLease
{
    /// <summary>Lease duration; DEVK8S_LEASE_SECONDS shortens it (tests that wait for a session to go stale).</summary>
    public static TimeSpan Duration { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("DEVK8S_LEASE_SECONDS"), out var s) && s > 0 ? TimeSpan.FromSeconds(s) : TimeSpan.FromSeconds(30);

    public static TimeSpan RenewEvery => TimeSpan.FromTicks(Duration.Ticks / 6);

    public static string NameOf(WorkloadRef workload) => $"devk8s-{workload.Kind}-{workload.Name}";

    public static string HolderOf(DevSessionRecord record) => $"{record.Owner}/{record.SessionId}";

    /// <summary>The lease's state now; null when there is none.</summary>
    public static LeaseState? StateOf(V1Lease? lease, DateTimeOffset now)
    {
        if (lease?.Spec is not { } spec) return null;
        var renewed = spec.RenewTime ?? spec.AcquireTime;
        var seen = renewed is { } r ? new DateTimeOffset(DateTime.SpecifyKind(r, DateTimeKind.Utc)) : (DateTimeOffset?)null;
        var live = seen is { } t && t + TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? 30) > now;
        return new LeaseState(spec.HolderIdentity ?? "", seen, live);
    }

    public static async Task<LeaseState?> ReadAsync(KubeTarget target, WorkloadRef workload, CancellationToken ct) =>
        StateOf(await GetAsync(target, workload, ct).ConfigureAwait(false), DateTimeOffset.UtcNow);

    /// <summary>
    /// Takes or renews the lease for <paramref name="record"/>. With <paramref name="onlyIfHeld"/>, only
    /// renews a lease this session still holds and returns false when someone else holds it now.
    /// </summary>
    public static async Task<bool> HoldAsync(KubeTarget target, WorkloadRef workload, DevSessionRecord record, bool onlyIfHeld, CancellationToken ct)
    {
        var holder = HolderOf(record);
        for (var attempt = 0; ; attempt++)
        {
            var lease = await GetAsync(target, workload, ct).ConfigureAwait(false);
            var now = DateTime.UtcNow;
            try
            {
                if (lease is null)
                {
                    if (onlyIfHeld) return false;
                    await target.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
                    {
                        Metadata = new V1ObjectMeta { Name = NameOf(workload), Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "devk8s" } },
                        Spec = Spec(holder, now, now),
                    }, target.Namespace, cancellationToken: ct).ConfigureAwait(false);
                    return true;
                }
                if (onlyIfHeld && lease.Spec?.HolderIdentity != holder) return false;
                var acquired = lease.Spec?.HolderIdentity == holder ? lease.Spec.AcquireTime ?? now : now;
                lease.Spec = Spec(holder, acquired, now);
                await target.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, lease.Metadata.Name, target.Namespace, cancellationToken: ct).ConfigureAwait(false);
                return true;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 5)
            {
                // Created or renewed by someone in between: look again.
            }
        }
    }

    /// <summary>Deletes the lease if <paramref name="sessionId"/> (or anyone, when null) holds it.</summary>
    public static async Task ReleaseAsync(KubeTarget target, WorkloadRef workload, string? sessionId, CancellationToken ct)
    {
        var lease = await GetAsync(target, workload, ct).ConfigureAwait(false);
        if (lease is null || (sessionId is not null && lease.Spec?.HolderIdentity?.EndsWith("/" + sessionId, StringComparison.Ordinal) != true)) return;
        try
        {
            await target.Client.CoordinationV1.DeleteNamespacedLeaseAsync(lease.Metadata.Name, target.Namespace,
                new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = lease.Metadata.ResourceVersion } }, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict) { }
    }

    /// <summary>Every DevK8s lease of the namespace, by name (one list call for Get-DevService).</summary>
    public static async Task<IReadOnlyDictionary<string, V1Lease>> ListAsync(KubeTarget target, CancellationToken ct)
    {
        var list = await target.Client.CoordinationV1.ListNamespacedLeaseAsync(target.Namespace, labelSelector: "app.kubernetes.io/managed-by=devk8s", cancellationToken: ct).ConfigureAwait(false);
        return list.Items.ToDictionary(l => l.Metadata.Name);
    }

    private static V1LeaseSpec Spec(string holder, DateTime acquired, DateTime renewed) => new()
    {
        HolderIdentity = holder,
        LeaseDurationSeconds = (int)Duration.TotalSeconds,
        AcquireTime = acquired,
        RenewTime = renewed,
    };

    private static async Task<V1Lease?> GetAsync(KubeTarget target, WorkloadRef workload, CancellationToken ct)
    {
        try { return await target.Client.CoordinationV1.ReadNamespacedLeaseAsync(NameOf(workload), target.Namespace, cancellationToken: ct).ConfigureAwait(false); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound) { return null; }
    }
}

/// <summary>
/// Holds a session's Lease from the moment it is taken (before the workload is written, so a long
/// rollout never looks stale) and renews it in the background until disposed. Disposing does not
/// release it: a process that goes away without Stop-DevService leaves a Lease that turns stale.
/// </summary>
public sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private LeaseKeeper(KubeTarget target, WorkloadRef workload, DevSessionRecord record) =>
        _loop = Task.Run(() => RenewAsync(target, workload, record, _stop.Token));

    /// <summary>False once someone else holds the Lease (a switch or takeover from another process).</summary>
    public bool Held { get; private set; } = true;

    public static async Task<LeaseKeeper> HoldAsync(KubeTarget target, WorkloadRef workload, DevSessionRecord record, CancellationToken ct)
    {
        await SessionLease.HoldAsync(target, workload, record, onlyIfHeld: false, ct).ConfigureAwait(false);
        return new LeaseKeeper(target, workload, record);
    }

    private async Task RenewAsync(KubeTarget target, WorkloadRef workload, DevSessionRecord record, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested && Held)
        {
            try
            {
                await Task.Delay(SessionLease.RenewEvery, ct).ConfigureAwait(false);
                Held = await SessionLease.HoldAsync(target, workload, record, onlyIfHeld: true, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception) { /* the API server away for a moment: the next renewal tries again */ }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
