using System.Buffers;
using System.Net.WebSockets;

namespace DevK8s.Engine.Exec;

/// <summary>
/// An exec's stdin: writes go out as WebSocket messages on channel 0, at most 1 MiB each. The kubelet
/// drops the connection on a frame over 32 MiB ("frame payload size exceeds limit"), and one write can
/// be a whole in-memory payload (MemoryStream.CopyToAsync writes everything at once). A write the
/// channel's end cuts short fails as an IOException, which the pod channel retries.
/// </summary>
internal sealed class ExecInputStream(WebSocket socket, string what) : AsyncDuplexStream
{
    private const byte StdinChannel = 0;
    internal const int MaxMessage = 1 << 20;
    private readonly SemaphoreSlim _sending = new(1, 1);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken ct = default)
    {
        var message = ArrayPool<byte>.Shared.Rent(Math.Min(source.Length, MaxMessage) + 1);
        await _sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            message[0] = StdinChannel;
            do
            {
                var part = source[..Math.Min(source.Length, MaxMessage)];
                part.CopyTo(message.AsMemory(1));
                await socket.SendAsync(message.AsMemory(0, part.Length + 1), WebSocketMessageType.Binary, endOfMessage: true, ct).ConfigureAwait(false);
                source = source[part.Length..];
            } while (!source.IsEmpty);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The channel ended under the write (the command exited, the pod went away, the connection dropped).
            throw new IOException($"the exec connection to {what} closed while sending", e);
        }
        finally
        {
            _sending.Release();
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default) => throw new NotSupportedException("an exec's stdin is write-only");
    public override bool CanRead => false;
}
