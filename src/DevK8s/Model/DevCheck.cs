namespace DevK8s;

/// <summary>One finding of Test-DevEnvironment; Fix says what to do when Status is not Pass.</summary>
public sealed class DevCheck
{
    public required string Name { get; init; }
    public DevCheckStatus Status { get; init; }
    public required string Detail { get; init; }
    public string? Fix { get; init; }
}
