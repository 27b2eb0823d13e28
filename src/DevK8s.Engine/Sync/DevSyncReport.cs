namespace DevK8s.Engine.Sync;

public enum SyncKind { Initial, Change, Resync }

/// <summary>What one sync batch did.</summary>
public sealed record DevSyncReport(
    string Service, string Pod, SyncKind Kind, int FilesSent, int FilesDeleted, long BytesSent,
    TimeSpan Duration, IReadOnlyList<string> Paths, string? Action, DateTimeOffset Time);
