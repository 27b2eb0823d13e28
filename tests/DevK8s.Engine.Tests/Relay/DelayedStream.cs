using System.Diagnostics;
using System.Threading.Channels;
using DevK8s.Engine.Exec;
using DevK8s.Engine.Relay;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>Adds a fixed one-way delay to both directions of a link, like a far-away API server.</summary>
internal sealed class DelayedStream : AsyncDuplexStream
{
    private readonly Stream _inner;
    private readonly TimeSpan _delay;
    private readonly Channel<(long Due, byte[] Data)> _incoming = Channel.CreateUnbounded<(long, byte[])>();
    private readonly Channel<(long Due, byte[] Data)> _outgoing = Channel.CreateUnbounded<(long, byte[])>();
    private byte[] _pending = [];
    private int _pendingAt;

    public DelayedStream(Stream inner, TimeSpan delay)
    {
        _inner = inner;
        _delay = delay;
        _ = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await _inner.ReadAsync(buffer)) > 0) _incoming.Writer.TryWrite((Due(), buffer[..n]));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            _incoming.Writer.TryComplete();
        });
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var (due, data) in _outgoing.Reader.ReadAllAsync())
                {
                    await WaitUntil(due);
                    await _inner.WriteAsync(data);
                    await _inner.FlushAsync();
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        });
    }

    private long Due() => Stopwatch.GetTimestamp() + (long)(_delay.TotalSeconds * Stopwatch.Frequency);

    private static async Task WaitUntil(long due)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_pendingAt == _pending.Length)
        {
            if (!await _incoming.Reader.WaitToReadAsync(ct)) return 0;
            var (due, data) = await _incoming.Reader.ReadAsync(ct);
            await WaitUntil(due);
            _pending = data;
            _pendingAt = 0;
        }
        var n = Math.Min(buffer.Length, _pending.Length - _pendingAt);
        _pending.AsMemory(_pendingAt, n).CopyTo(buffer);
        _pendingAt += n;
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        _outgoing.Writer.TryWrite((Due(), buffer.ToArray()));
        return ValueTask.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _outgoing.Writer.TryComplete();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
