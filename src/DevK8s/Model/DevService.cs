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
}
