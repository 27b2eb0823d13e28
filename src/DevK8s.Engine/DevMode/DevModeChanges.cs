using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// What dev mode changed on a workload, in words a developer reads at a glance, computed from the
/// recorded original and the live template (so any process sees the same list).
/// </summary>
public static class DevModeChanges
{
    public static IReadOnlyList<string> Describe(OriginalSpec original, V1PodTemplateSpec live, int? liveReplicas, string? containerName)
    {
        var changes = new List<string>();
        if ((original.Replicas ?? 1) != (liveReplicas ?? 1))
            changes.Add($"replicas {original.Replicas ?? 1} → {liveReplicas ?? 1}");

        var before = Container(original.Template.Spec, containerName);
        var after = Container(live.Spec, containerName);
        if (before is not null && after is not null)
        {
            var name = before.Name;
            if (RestartSupervisor.Unwrap(after.Command) is { } wrapped)
            {
                var same = original.Argv is { } argv && argv.SequenceEqual(wrapped);
                changes.Add(same ? $"{name}: command wrapped by the restart supervisor"
                                 : $"{name}: command replaced by '{Join(wrapped)}' under the restart supervisor");
            }
            else if (!Same(before.Command, after.Command) || !Same(before.Args, after.Args))
                changes.Add($"{name}: command → '{Join([.. after.Command ?? [], .. after.Args ?? []])}'");
            if (before.Image != after.Image) changes.Add($"{name}: image → {after.Image}");
            Probe(changes, name, "livenessProbe", before.LivenessProbe, after.LivenessProbe);
            Probe(changes, name, "readinessProbe", before.ReadinessProbe, after.ReadinessProbe);
            Probe(changes, name, "startupProbe", before.StartupProbe, after.StartupProbe);
            if (!Same(Json(before.Env), Json(after.Env))) changes.Add($"{name}: env changed");
        }

        // Anything else that differs (outside DevK8s's own annotation) is named by its field path.
        var a = Strip(JsonNode.Parse(KubernetesJson.Serialize(original.Template))!, containerName ?? before?.Name);
        var b = Strip(JsonNode.Parse(KubernetesJson.Serialize(live))!, containerName ?? before?.Name);
        foreach (var path in Differences(a, b, "template")) changes.Add($"{path} changed");
        return changes;
    }

    private static void Probe(List<string> changes, string container, string kind, V1Probe? before, V1Probe? after)
    {
        if (before is not null && after is null) changes.Add($"{container}: {kind} removed");
        else if (before is null && after is not null) changes.Add($"{container}: {kind} added");
        else if (before is not null && Json(before) != Json(after)) changes.Add($"{container}: {kind} replaced");
    }

    /// <summary>The template without what Describe already explains, so only unexplained changes remain.</summary>
    private static JsonNode Strip(JsonNode template, string? containerName)
    {
        if (template["metadata"] is JsonObject metadata && metadata["annotations"] is JsonObject annotations)
        {
            annotations.Remove(DevTemplateBuilder.TemplateAnnotation);
            if (annotations.Count == 0) metadata.Remove("annotations");
        }
        if (template["spec"]?["containers"] is JsonArray containers)
            foreach (var c in containers.OfType<JsonObject>())
                if (containerName is null || (string?)c["name"] == containerName || containers.Count == 1)
                    foreach (var key in new[] { "command", "args", "image", "livenessProbe", "readinessProbe", "startupProbe", "env" }) c.Remove(key);
        return template;
    }

    private static IEnumerable<string> Differences(JsonNode? a, JsonNode? b, string path)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)).Distinct())
                foreach (var d in Differences(oa[key], ob[key], $"{path}.{key}")) yield return d;
        }
        else if (!JsonNode.DeepEquals(a, b)) yield return path;
    }

    private static V1Container? Container(V1PodSpec spec, string? name) =>
        name is null ? spec.Containers.FirstOrDefault() : spec.Containers.FirstOrDefault(c => c.Name == name);

    private static bool Same(IList<string>? a, IList<string>? b) => (a ?? []).SequenceEqual(b ?? []);
    private static bool Same(string a, string b) => a == b;
    private static string Json(object? o) => o is null ? "null" : KubernetesJson.Serialize(o);
    private static string Join(IEnumerable<string> argv) => string.Join(' ', argv.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
}
