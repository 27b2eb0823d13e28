using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// What dev mode changes, saved verbatim on the workload before the change (annotation
/// devk8s.io/original) so any process on any machine can put it back exactly.
/// </summary>
public sealed class OriginalSpec
{
    public int? Replicas { get; set; }
    public V1PodTemplateSpec Template { get; set; } = null!;

    /// <summary>
    /// The dev container's real argv, resolved once from the prod spec or a prod pod. Recorded
    /// because during a switch the running pod executes a supervisor, not the app.
    /// </summary>
    public List<string>? Argv { get; set; }

    public string ToJson() => KubernetesJson.Serialize(this);

    public static OriginalSpec FromJson(string json) => KubernetesJson.Deserialize<OriginalSpec>(json);
}
