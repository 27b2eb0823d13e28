namespace DevK8s;

/// <summary>A configured service joined with its live workload.</summary>
public sealed class DevService
{
    public required string Name { get; init; }
    public required string Namespace { get; init; }
    public required string Context { get; init; }
    public required string Workload { get; init; }
    public string? Container { get; init; }
    public DevMode Mode { get; init; }
    public DevStrategy? Strategy { get; init; }
    public string? Owner { get; init; }
    public DateTimeOffset? Since { get; init; }
    public required string Ready { get; init; }
    public string? Image { get; init; }
    public required string ProjectPath { get; init; }
    /// <summary>In dev mode: what dev mode changed on the workload, from the recorded original.</summary>
    public string[] Changes { get; init; } = [];
    /// <summary>In dev mode: Live while the owning process renews the session's Lease, Stale once it is gone.</summary>
    public DevSessionLiveness? Session { get; init; }
    /// <summary>When the owning process last renewed the session's Lease.</summary>
    public DateTimeOffset? LastSeen { get; init; }
    /// <summary>In dev mode: changes others made to the workload since the session started (who, when, which fields).</summary>
    public string[] Drift { get; init; } = [];
}

/// <summary>Whether the process that owns a dev session is still there (its Lease is renewed).</summary>
public enum DevSessionLiveness { Live, Stale }
