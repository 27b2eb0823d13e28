namespace DevK8s.Engine.Logs;

/// <summary>Where a log line came from: a container in the cluster, DevK8s itself (sync events), or a local process.</summary>
public enum LogSource { Cluster, Sync, Local, Build }

/// <summary>One line of a dev session's merged log stream.</summary>
public sealed record DevLogRecord(
    DateTimeOffset Time, string Service, string? Pod, string? Container, string Stream, string Message, LogSource Source);

/// <summary>Receives log records; implementations must be thread-safe (records arrive from any thread).</summary>
public interface ILogSink
{
    void Write(DevLogRecord record);
}
