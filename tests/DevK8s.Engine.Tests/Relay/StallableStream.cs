using DevK8s.Engine.Exec;
using DevK8s.Engine.Relay;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>A link that can go silent without closing, as an exec stream does when the API server stops.</summary>
internal sealed class StallableStream(Stream inner) : AsyncDuplexStream
{
    private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Stall() => _stalled.TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_stalled.Task.IsCompleted) { await Task.Delay(Timeout.Infinite, ct); }
        var read = inner.ReadAsync(buffer, ct).AsTask();
        if (await Task.WhenAny(read, _stalled.Task) == read) return await read;
        await Task.Delay(Timeout.Infinite, ct); // what arrives from now on is never seen
        return 0;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) =>
        _stalled.Task.IsCompleted ? ValueTask.CompletedTask : inner.WriteAsync(buffer, ct);

    public override Task FlushAsync(CancellationToken ct) => _stalled.Task.IsCompleted ? Task.CompletedTask : inner.FlushAsync(ct);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
