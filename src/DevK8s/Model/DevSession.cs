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
    /// <summary>What the last iteration of the loop did (initial sync, a change, Sync-DevService).</summary>
    public DevPushResult? LastPush { get; init; }
    public string? Error { get; init; }
    public required string ProjectPath { get; init; }
    /// <summary>What dev mode changed on the workload, from the recorded original (e.g. "replicas 2 → 1").</summary>
    public string[] Changes { get; init; } = [];
    /// <summary>What only this strategy knows: Sync's watch state and last sync, Intercept's id, ports and local PID…</summary>
    public System.Management.Automation.PSObject? Details { get; init; }
}

/// <summary>One iteration of a dev loop (any strategy): what it sent and how long it took.</summary>
public sealed class DevPushResult
{
    public required string Service { get; init; }
    public DevStrategy Strategy { get; init; }
    public string? Pod { get; init; }
    public required string Summary { get; init; }
    public long Bytes { get; init; }
    public TimeSpan Duration { get; init; }
    public DateTimeOffset Time { get; init; }
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

public enum DevLogSource { Cluster, Sync, Local, Build }

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
