namespace DevK8s;

/// <summary>One object of the prod manifests as Deploy-DevProject applied it.</summary>
public sealed class DevApplyResult
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public string? Namespace { get; init; }
    public DevApplyAction Action { get; init; }
    public required string Source { get; init; }
    public string? ResourceVersion { get; init; }
    /// <summary>Why the object was not applied as is (Deferred: the workload is in dev mode).</summary>
    public string? Reason { get; init; }
}
