using System.Threading.Channels;

namespace DevK8s.Engine.Logs;

/// <summary>
/// Fans a session's log records out to any number of readers (Watch-DevLog); keeps the last
/// records so a reader that arrives just after Start-DevService still sees the initial sync.
/// </summary>
public sealed class LogHub : ILogSink
{
    private const int Keep = 500;
    private readonly Queue<DevLogRecord> _recent = new();
    private readonly List<ChannelWriter<DevLogRecord>> _readers = [];
    private readonly object _lock = new();

    public void Write(DevLogRecord record)
    {
        lock (_lock)
        {
            _recent.Enqueue(record);
            if (_recent.Count > Keep) _recent.Dequeue();
            foreach (var reader in _readers) reader.TryWrite(record);
        }
    }

    /// <summary>A reader that first gets the recent records, then every new one, until disposed.</summary>
    public LogSubscription Subscribe(bool replay = true)
    {
        var channel = Channel.CreateUnbounded<DevLogRecord>(new UnboundedChannelOptions { SingleReader = true });
        lock (_lock)
        {
            if (replay) foreach (var r in _recent) channel.Writer.TryWrite(r);
            _readers.Add(channel.Writer);
        }
        return new LogSubscription(channel.Reader, () => { lock (_lock) _readers.Remove(channel.Writer); channel.Writer.TryComplete(); });
    }

    public void Complete()
    {
        lock (_lock)
        {
            foreach (var reader in _readers) reader.TryComplete();
            _readers.Clear();
        }
    }
}

public sealed class LogSubscription(ChannelReader<DevLogRecord> reader, Action unsubscribe) : IDisposable
{
    public ChannelReader<DevLogRecord> Reader { get; } = reader;
    public void Dispose() => unsubscribe();
}

/// <summary>A sink that forwards to several others.</summary>
public sealed class TeeSink(params ILogSink[] sinks) : ILogSink
{
    public void Write(DevLogRecord record)
    {
        foreach (var sink in sinks) sink.Write(record);
    }
}
