using System.Text.Json.Nodes;
using DevK8s.Engine.Cluster;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.DevMode;

/// <summary>A change someone else made to a workload in dev mode: who, when, which fields.</summary>
public sealed record WorkloadDrift(string Manager, DateTimeOffset? Time, IReadOnlyList<string> Fields)
{
    public override string ToString() =>
        $"changed by {Manager}{(Time is { } t ? $" at {t.ToLocalTime():yyyy-MM-dd HH:mm:ss}" : "")}: {string.Join(", ", Fields)}";
}

/// <summary>
/// Finds changes to a workload's spec made since its dev session started by anyone but DevK8s,
/// from the API server's own bookkeeping (managedFields): every writer is named there with the
/// fields it set and when, so nothing has to be recorded besides the session's start.
/// </summary>
public static class WorkloadDriftReader
{
    private const string OwnManager = "devk8s";
    private const int MaxFields = 6;

    public static IReadOnlyList<WorkloadDrift> Read(V1ObjectMeta metadata, DevSessionRecord session)
    {
        var since = session.StartedAt.ToUniversalTime();
        // managedFields times have whole seconds: an entry of the session's own second counts.
        var floor = since.AddTicks(-(since.Ticks % TimeSpan.TicksPerSecond));
        var drifts = new List<WorkloadDrift>();
        foreach (var entry in metadata.ManagedFields ?? [])
        {
            if (entry.Manager == OwnManager || entry.FieldsV1 is null) continue;
            if (entry.Time is not { } time || new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)) < floor) continue;
            var fields = JsonNode.Parse(KubernetesJson.Serialize(entry.FieldsV1)) as JsonObject;
            if (fields?["f:spec"] is not JsonObject spec) continue; // status and metadata writers (controllers) are not drift
            var paths = new List<string>();
            Leaves(spec, "spec", paths);
            drifts.Add(new WorkloadDrift(entry.Manager ?? "(unnamed manager)", new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
                paths.Count > MaxFields ? [.. paths.Take(MaxFields), $"… {paths.Count - MaxFields} more"] : paths));
        }
        return drifts;
    }

    private static void Leaves(JsonObject node, string path, List<string> into)
    {
        var children = node.Where(p => p.Key != ".").ToList();
        if (children.Count == 0) { into.Add(path); return; }
        foreach (var (key, value) in children)
        {
            var step = key.StartsWith("f:", StringComparison.Ordinal) ? "." + key[2..]
                : key.StartsWith("k:", StringComparison.Ordinal) ? "[" + KeyOf(key[2..]) + "]"
                : key.StartsWith("v:", StringComparison.Ordinal) ? "[=" + key[2..] + "]"
                : "." + key;
            if (value is JsonObject child) Leaves(child, path + step, into);
            else into.Add(path + step);
        }
    }

    /// <summary>k:{"name":"main"} → name=main.</summary>
    private static string KeyOf(string json)
    {
        try
        {
            return JsonNode.Parse(json) is JsonObject o ? string.Join(",", o.Select(p => $"{p.Key}={p.Value}")) : json;
        }
        catch (System.Text.Json.JsonException) { return json; }
    }
}

/// <summary>Someone else changed a workload in dev mode; restoring would silently throw that away.</summary>
public sealed class DevModeDriftException(string service, IReadOnlyList<WorkloadDrift> drifts)
    : Exception($"{service} was changed outside DevK8s while in dev mode ({string.Join("; ", drifts)}); restoring the recorded original would discard that change.")
{
    public IReadOnlyList<WorkloadDrift> Drifts { get; } = drifts;
}
