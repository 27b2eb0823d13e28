using DevK8s.Engine.Exec;
using DevK8s.Engine.Relay;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>
/// One duplex stream over a pair of one-way streams (the pipes of a local "devk8s-agent attach"):
/// the transport a relay link runs on in these tests. Disposing it disposes both.
/// </summary>
internal sealed class DuplexStream(Stream input, Stream output) : AsyncDuplexStream
{
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => input.ReadAsync(buffer, ct);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => output.WriteAsync(buffer, ct);
    public override Task FlushAsync(CancellationToken ct) => output.FlushAsync(ct);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Quietly(input.Dispose);
            Quietly(output.Dispose);
        }
        base.Dispose(disposing);
    }

    private static void Quietly(Action dispose)
    {
        try { dispose(); } catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }
}
