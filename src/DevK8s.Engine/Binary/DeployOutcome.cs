using DevK8s.Engine.DevMode;

namespace DevK8s.Engine.Binary;

public enum DeployKind
{
    /// <summary>The artifact was copied and the process restarted.</summary>
    Deployed,
    /// <summary>The pod already runs this artifact (same hash): not touched.</summary>
    Unchanged,
    BuildFailed,
    /// <summary>The build succeeded but the artifact is not where the config says.</summary>
    ArtifactMissing,
    /// <summary>The artifact check refused it (wrong OS, CPU, loader, glibc, library).</summary>
    Refused,
    /// <summary>Copying or restarting failed.</summary>
    Failed,
}

/// <summary>What one build meant for one service.</summary>
public sealed record DeployOutcome(string Service, DeployKind Kind, string Message, string? Fix, PushReport? Report)
{
    public bool Ok => Kind is DeployKind.Deployed or DeployKind.Unchanged;

    public DevModeException ToException() => new(Message, Fix);
}
