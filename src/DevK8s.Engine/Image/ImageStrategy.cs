using System.Collections.Concurrent;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Logs;
using k8s;

namespace DevK8s.Engine.Image;

/// <summary>
/// Image: the prod-parity loop. Build (or assemble daemonless), tag by content, push, roll out by
/// digest with the original template and probes, watch the rollout and fail fast; every save under
/// the context rebuilds, and a rebuild that does not come up rolls back to the last good dev image.
/// </summary>
public sealed class ImageStrategy : IDevStrategy
{
    // The image PlanAsync built, for the runtime StartAsync starts right after in this process.
    private static readonly ConcurrentDictionary<string, ImageBuildResult> Planned = new();

    public Strategy Kind => Strategy.Image;

    public IReadOnlyList<StrategyParameter> Parameters { get; } = [];

    private static string Key(KubeTarget target, ServiceConfig service) => $"{target.Context}/{target.Namespace}/{service.Name}";

    public async Task<DevTemplatePlan> PlanAsync(DevPlanContext context, CancellationToken ct)
    {
        if (context.Service.Image is null)
            throw new DevModeException($"{context.Service.Name} has no 'image' section in {context.Project.FilePath}.",
                "Add image (context and dockerfile, or base and layers) for this service, or pick another strategy.");
        var built = await ImageBuild.RunAsync(context.Target, context.Project, context.Service, context.Logs, context.Progress, ct).ConfigureAwait(false);
        Planned[Key(context.Target, context.Service)] = built;
        context.Logs.Write(Record(context.Service, null, Summary(built)));
        return await PlanForAsync(context.Target, context.Service, built, ct).ConfigureAwait(false);
    }

    /// <summary>The original template with the container's image swapped for the digest; probes kept.</summary>
    internal static async Task<DevTemplatePlan> PlanForAsync(KubeTarget target, ServiceConfig service, ImageBuildResult built, CancellationToken ct) => new()
    {
        Image = built.PodImage,
        RelaxProbes = false,
        Watch = new RolloutWatchOptions(await DeadlineAsync(target, service, ct).ConfigureAwait(false), PullHint(built.LocalRegistry)),
    };

    /// <summary>image.rolloutTimeoutSeconds, else the Deployment's progressDeadlineSeconds (600 s when unset, as in Kubernetes).</summary>
    private static async Task<TimeSpan> DeadlineAsync(KubeTarget target, ServiceConfig service, CancellationToken ct)
    {
        if (service.Image?.RolloutTimeoutSeconds is { } configured) return TimeSpan.FromSeconds(configured);
        if (service.Workload.Kind != "deployment") return TimeSpan.FromSeconds(600);
        try
        {
            var d = await target.Client.AppsV1.ReadNamespacedDeploymentAsync(service.Workload.Name, target.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return TimeSpan.FromSeconds(d.Spec.ProgressDeadlineSeconds ?? 600);
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            return TimeSpan.FromSeconds(600); // the workload check that follows says what is wrong
        }
    }

    private static string PullHint(LocalRegistryHosting? local) =>
        "Pods pull by the registry host in the image name, as the node sees it. For the cluster's own registry, leave image.repository out: " +
        "DevK8s then pushes to the registry the cluster publishes in kube-public/local-registry-hosting (KEP-1755) and writes the name its container runtime uses (hostFromContainerRuntime)" +
        (local?.Help is { } help ? $"; see {help}." : ".");

    public Task<IDevRuntime> StartAsync(DevRuntimeContext context, CancellationToken ct)
    {
        var runtime = new ImageRuntime(context);
        // The first iteration ran in PlanAsync: report it here only when it is the image this pod runs.
        if (Planned.TryRemove(Key(context.Target, context.Service), out var built) && context.Pod?.Image == built.PodImage)
            runtime.Accept(built, context.Pod.Name);
        return Task.FromResult<IDevRuntime>(runtime);
    }

    internal static string Summary(ImageBuildResult b) => b.Unchanged
        ? $"unchanged ({b.Tag}, {b.InputFiles} input files): nothing built, nothing pushed; {b.PodImage}"
        : $"built {b.Tag} with {b.How} in {b.Build.TotalMilliseconds:0} ms, pushed in {b.Push.TotalMilliseconds:0} ms" +
          (b.BytesPushed >= 0 ? $" ({b.BytesPushed} bytes)" : "") + $"; {b.PodImage}";

    internal static DevLogRecord Record(ServiceConfig service, string? pod, string message, string stream = "stdout") =>
        new(DateTimeOffset.Now, service.Name, pod, null, stream, message, LogSource.Build);
}
