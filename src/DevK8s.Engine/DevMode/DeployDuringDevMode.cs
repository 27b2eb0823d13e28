using System.Net;
using System.Text.Json.Nodes;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>
/// A prod deploy of a workload that is in dev mode: instead of applying over the dev template
/// (which the next Stop-DevService would undo by restoring the older original), the newly deployed
/// prod spec becomes the recorded original. The dev pod keeps running; Stop brings back what was
/// deployed last.
/// </summary>
public static class DeployDuringDevMode
{
    public static bool Applies(ManifestObject obj, JsonNode? live) =>
        obj.ApiVersion == "apps/v1" && obj.Kind is "Deployment" or "StatefulSet"
        && live?["metadata"]?["annotations"]?[DevAnnotations.Session] is not null;

    /// <summary>Records <paramref name="body"/>'s pod template and replicas as the original; returns why the object was not applied.</summary>
    public static async Task<string> RecordAsOriginalAsync(KubeTarget target, ManifestObject obj, JsonObject body, string collectionPath, string ns, CancellationToken ct)
    {
        // What the API server makes of the manifest (defaults included), without the dev template
        // underneath: a server-side dry run of the same apply under a name nothing uses.
        var preview = (JsonObject)body.DeepClone();
        var previewName = $"{obj.Name}-devk8s-preview";
        preview["metadata"]!["name"] = previewName;
        var (_, applied) = await KubeRaw.SendAsync(target, HttpMethod.Patch,
            $"{collectionPath}/{Uri.EscapeDataString(previewName)}?fieldManager={ManifestApplier.FieldManager}&force=true&dryRun=All",
            preview.ToJsonString(), "application/apply-patch+yaml", ct).ConfigureAwait(false);
        var template = KubernetesJson.Deserialize<V1PodTemplateSpec>(applied!["spec"]!["template"]!.ToJsonString());
        var replicasInManifest = body["spec"]?["replicas"] is not null;

        var workloadRef = new WorkloadRef(obj.Kind.ToLowerInvariant(), obj.Name);
        for (var attempt = 0; ; attempt++)
        {
            var workload = await Workload.ReadAsync(target, workloadRef, ct, ns).ConfigureAwait(false)
                ?? throw new DevModeException($"{obj} disappeared while it was being deployed.");
            var session = DevSessionRecord.TryParse(workload.Annotations.TryGetValue(DevAnnotations.Session, out var s) ? s : null);
            var before = workload.Annotations.TryGetValue(DevAnnotations.Original, out var saved) ? OriginalSpec.FromJson(saved) : null;
            var original = new OriginalSpec
            {
                Template = template,
                Replicas = replicasInManifest ? applied["spec"]!["replicas"]!.GetValue<int>() : before?.Replicas ?? workload.Replicas,
                // The argv was resolved for the old containers; it stays true only while they run the same thing.
                Argv = before is not null && SameProcesses(before.Template, template) ? before.Argv : null,
            };
            workload.Annotations[DevAnnotations.Original] = original.ToJson();
            try
            {
                await workload.ReplaceAsync(ct).ConfigureAwait(false);
                return $"in dev mode ({session?.Strategy}, {session?.Owner}): the dev pod keeps running; this spec is recorded as the original that Stop-DevService restores";
            }
            catch (KubeApiException e) when (e.Status == HttpStatusCode.Conflict && attempt < 8) { }
        }
    }

    private static bool SameProcesses(V1PodTemplateSpec a, V1PodTemplateSpec b) =>
        a.Spec.Containers.Count == b.Spec.Containers.Count
        && a.Spec.Containers.Zip(b.Spec.Containers).All(p => p.First.Name == p.Second.Name && p.First.Image == p.Second.Image
            && (p.First.Command ?? []).SequenceEqual(p.Second.Command ?? []) && (p.First.Args ?? []).SequenceEqual(p.Second.Args ?? []));
}
