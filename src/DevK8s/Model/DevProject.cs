namespace DevK8s;

/// <summary>A parsed devk8s.yaml.</summary>
public sealed class DevProject
{
    public required string Name { get; init; }
    public required string Path { get; init; }
    public required string Directory { get; init; }
    public string? Namespace { get; init; }
    public string? Context { get; init; }
    public required string[] Manifests { get; init; }
    public required DevServiceDefinition[] Services { get; init; }
}

/// <summary>One service as configured (not as it runs; see DevService for that).</summary>
public sealed class DevServiceDefinition
{
    public required string Name { get; init; }
    public required string Workload { get; init; }
    public string? Container { get; init; }
    public DevStrategy? Strategy { get; init; }
    public required DevStrategy[] Strategies { get; init; }
}
