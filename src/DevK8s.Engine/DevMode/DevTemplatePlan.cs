using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// What a strategy changes in the pod template, as data. The dev template is always computed
/// from the recorded original and this plan (never from a previous dev template), so switching
/// strategies never stacks one patch on another.
/// </summary>
public sealed record DevTemplatePlan
{
    /// <summary>Leave the template and replicas exactly as recorded (Telepresence injects its own agent).</summary>
    public bool KeepTemplate { get; init; }

    /// <summary>Run the container's command (or <see cref="Command"/>) under the restart supervisor.</summary>
    public bool WrapInSupervisor { get; init; }

    /// <summary>The argv to run instead of the container's own.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>An image to run instead of the original's.</summary>
    public string? Image { get; init; }

    /// <summary>Remove liveness and startup probes: a dev process restarts on purpose and may start slowly.</summary>
    public bool RelaxProbes { get; init; } = true;

    /// <summary>Watch the rollout: fail fast with the reason and give up at a deadline (RolloutWatch); null waits up to 3 minutes.</summary>
    public RolloutWatchOptions? Watch { get; init; }

    /// <summary>A readiness probe to run instead of the app's (Intercept's agent: ready while this machine is attached).</summary>
    public V1Probe? ReadinessProbe { get; init; }

    /// <summary>
    /// The dev pod gets ready only once the strategy's runtime attaches to it (the probe above):
    /// committing waits for the pod to run, not to be ready, and the runtime finishes the rollout
    /// after attaching. Meanwhile the old pod keeps serving.
    /// </summary>
    public bool ReadyOnceAttached { get; init; }

    /// <summary>Tools the image must have for this loop (checked with one exec before anything changes).</summary>
    public IReadOnlyList<string> RequiredTools { get; init; } = [];

    /// <summary>True when building the template needs the container's real argv.</summary>
    public bool NeedsArgv => WrapInSupervisor && Command is null;

    public static DevTemplatePlan Keep { get; } = new() { KeepTemplate = true, RelaxProbes = false };
}

/// <summary>Turns a recorded original and a plan into the dev template and its id.</summary>
public static class DevTemplateBuilder
{
    /// <summary>Pod template annotation naming the dev template a pod runs (a hash of the template).</summary>
    public const string TemplateAnnotation = "devk8s.io/template";

    public sealed record Result(V1PodTemplateSpec Template, int? Replicas, string? TemplateId);

    public static Result Build(OriginalSpec original, DevTemplatePlan plan, Func<V1PodSpec, V1Container> container)
    {
        if (plan.KeepTemplate) return new Result(Clone(original.Template), original.Replicas, null);
        var template = Clone(original.Template);
        var c = container(template.Spec);
        if (plan.RelaxProbes)
        {
            c.LivenessProbe = null;
            c.StartupProbe = null;
        }
        if (plan.ReadinessProbe is not null) c.ReadinessProbe = plan.ReadinessProbe;
        if (plan.Image is not null) c.Image = plan.Image;
        var argv = plan.Command ?? (plan.WrapInSupervisor ? original.Argv : null);
        if (plan.WrapInSupervisor)
        {
            if (argv is null) throw new InvalidOperationException("the plan wraps the command but the original argv was not resolved");
            c.Command = RestartSupervisor.Wrap(argv);
            c.Args = null;
        }
        else if (plan.Command is not null)
        {
            c.Command = plan.Command.ToList();
            c.Args = null;
        }
        // Equal plans give equal templates and so equal ids: a switch between them needs no rollout.
        var id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(KubernetesJson.Serialize(template))))[..12].ToLowerInvariant();
        template.Metadata ??= new V1ObjectMeta();
        template.Metadata.Annotations ??= new Dictionary<string, string>();
        template.Metadata.Annotations[TemplateAnnotation] = id;
        return new Result(template, 1, id);
    }

    public static string? IdOf(V1PodTemplateSpec template) =>
        template.Metadata?.Annotations?.TryGetValue(TemplateAnnotation, out var id) == true ? id : null;

    private static V1PodTemplateSpec Clone(V1PodTemplateSpec t) => KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(t));
}
