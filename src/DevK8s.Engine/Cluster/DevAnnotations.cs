using System.Text.Json;

namespace DevK8s.Engine.Cluster;

/// <summary>
/// What DevK8s records on a workload in dev mode. The record lives on the workload itself so any
/// process on any machine can see who owns the session and restore the original.
/// </summary>
public static class DevAnnotations
{
    public const string Session = "devk8s.io/session";
    public const string Original = "devk8s.io/original";
}

/// <summary>The owner and strategy of a dev session, as stored in <see cref="DevAnnotations.Session"/>.</summary>
public sealed record DevSessionRecord(string Owner, string SessionId, string Strategy, DateTimeOffset StartedAt)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static DevSessionRecord? TryParse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonSerializer.Deserialize<DevSessionRecord>(json, Json); }
        catch (JsonException) { return null; }
    }
}
