namespace DevK8s;

public enum DevSessionState { Starting, Live, Reconnecting, Stopped, Failed }

/// <summary>A service in dev mode driven from this PowerShell session (a snapshot; Get-DevSession refreshes).</summary>
public sealed class DevSession
{
    public required string Service { get; init; }
    public DevStrategy Strategy { get; init; }
    public required string Namespace { get; init; }
    public required string Context { get; init; }
    public required string Workload { get; init; }
    public string? Pod { get; init; }
    public DevSessionState State { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public required string Owner { get; init; }
    public required string SessionId { get; init; }
    public DevSyncResult? LastSync { get; init; }
    public string? Error { get; init; }
    public required string ProjectPath { get; init; }
    /// <summary>Intercept: Telepresence's intercept id, the local port mappings, the local command's PID and exit code.</summary>
    public string? InterceptId { get; init; }
    public string[]? LocalPorts { get; init; }
    public int? LocalPid { get; init; }
    public int? ExitCode { get; init; }
}

public enum DevSyncKind { Initial, Change, Resync }

/// <summary>What one sync batch did: files sent and deleted, bytes on the wire, how long it took.</summary>
public sealed class DevSyncResult
{
    public required string Service { get; init; }
    public required string Pod { get; init; }
    public DevSyncKind Kind { get; init; }
    public int FilesSent { get; init; }
    public int FilesDeleted { get; init; }
    public long Bytes { get; init; }
    public TimeSpan Duration { get; init; }
    public required string[] Paths { get; init; }
    public string? Action { get; init; }
    public DateTimeOffset Time { get; init; }
}

public enum DevLogSource { Cluster, Sync, Local }

/// <summary>One line of the merged log of a service: its pods' containers, DevK8s' sync events, local processes.</summary>
public sealed class DevLogRecord
{
    public DateTimeOffset Time { get; init; }
    public required string Service { get; init; }
    public string? Pod { get; init; }
    public string? Container { get; init; }
    public required string Stream { get; init; }
    public required string Message { get; init; }
    public DevLogSource Source { get; init; }

    public override string ToString() => $"{Time:HH:mm:ss.fff} {Service} {Pod}/{Container} {Message}";
}
