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

/// <summary>The session this process drove no longer holds the workload (switched, taken over or stopped elsewhere).</summary>
public sealed class DevSessionEndedException(string service, string sessionId, DevK8s.Engine.Cluster.DevSessionRecord? now)
    : Exception(now is null
        ? $"{service} left dev mode from elsewhere (session {sessionId} ended)."
        : $"{service} is now driven by session {now.SessionId} ({now.Strategy}, {now.Owner}, since {now.StartedAt:u}); session {sessionId} ended here.")
{
    public DevK8s.Engine.Cluster.DevSessionRecord? Now { get; } = now;
}

/// <summary>A switch failed; the message says what came back, the cause keeps its own error id.</summary>
public sealed class DevSwitchFailedException(string message, Exception cause) : Exception(message, cause);
