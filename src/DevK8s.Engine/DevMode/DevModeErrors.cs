namespace DevK8s.Engine.DevMode;

/// <summary>Someone else owns the dev session on this workload.</summary>
public sealed class DevModeOwnedException(string service, string owner, DateTimeOffset since, string strategy)
    : Exception($"{service} is in dev mode ({strategy}) owned by {owner} since {since:u}. Ask them to run Stop-DevService {service}, or take it over with -Force.")
{
    public string Owner { get; } = owner;
    public DateTimeOffset Since { get; } = since;
}

/// <summary>Dev mode cannot work with this workload as it is (missing workload, no shell, no command…).</summary>
public sealed class DevModeException(string message, string? recommendedAction = null) : Exception(message)
{
    public string? RecommendedAction { get; } = recommendedAction;
}
