using System.Threading.Channels;

namespace DevK8s.Engine.Exec;

/// <summary>
/// One output channel of an exec (stdout, stderr or the status): the messages the receive loop hands
/// over, read as a stream. Bounded, so a reader that stops reading stops the loop instead of growing
/// memory; reads wait asynchronously and honour their cancellation token.
/// </summary>
internal sealed class ExecOutputStream : AsyncDuplexStream
{
    private readonly Channel<byte[]> _messages = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    private byte[] _current = [];
    private int _at;

    /// <summary>Whether anything arrived on this channel.</summary>
    public bool Received { get; private set; }

    public ValueTask PushAsync(byte[] message, CancellationToken ct)
    {
        Received = true;
        return _messages.Writer.WriteAsync(message, ct);
    }

    /// <summary>No more messages: readers get what is queued, then the end, or <paramref name="error"/>.</summary>
    public void Complete(Exception? error) => _messages.Writer.TryComplete(error);

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
    {
        while (_at == _current.Length)
        {
            if (!await _messages.Reader.WaitToReadAsync(ct).ConfigureAwait(false)) return 0;
            if (_messages.Reader.TryRead(out var next)) (_current, _at) = (next, 0);
        }
        var n = Math.Min(destination.Length, _current.Length - _at);
        _current.AsMemory(_at, n).CopyTo(destination);
        _at += n;
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken ct = default) => throw new NotSupportedException("an exec's output channel is read-only");
    public override bool CanWrite => false;
}
