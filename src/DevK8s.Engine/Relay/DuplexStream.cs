namespace DevK8s.Engine.Relay;

/// <summary>
/// One duplex stream over a pair of one-way streams (an exec's stdout and stdin, a process's
/// pipes): the transport the relay link runs on. Disposing it disposes both and their owner.
/// </summary>
public sealed class DuplexStream(Stream input, Stream output, IAsyncDisposable? owner = null) : Stream
{
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => input.ReadAsync(buffer, ct);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => input.ReadAsync(buffer, offset, count, ct);
    public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => output.WriteAsync(buffer, ct);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => output.WriteAsync(buffer, offset, count, ct);
    public override void Flush() => output.Flush();
    public override Task FlushAsync(CancellationToken ct) => output.FlushAsync(ct);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Quietly(input.Dispose);
            Quietly(output.Dispose);
            // The owner (an exec WebSocket) closes in the background: link teardown must not wait on the network.
            if (owner is not null) _ = Task.Run(async () => { try { await owner.DisposeAsync().ConfigureAwait(false); } catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or System.Net.WebSockets.WebSocketException) { } });
        }
        base.Dispose(disposing);
    }

    private static void Quietly(Action dispose)
    {
        try { dispose(); } catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }
}
