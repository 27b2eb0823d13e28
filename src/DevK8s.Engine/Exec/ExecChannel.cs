using System.Net.WebSockets;
using System.Text;
using DevK8s.Engine.Cluster;
using k8s;

namespace DevK8s.Engine.Exec;

/// <summary>
/// One open exec WebSocket (v4.channel.k8s.io) with its stdin, stdout, stderr and status channels.
/// One receive loop reads the socket and hands each message to its channel's reader, so a pending
/// read waits without a thread: KubernetesClient's StreamDemuxer parks a thread-pool thread in every
/// pending read (a session's sync, log and relay channels held a dozen), which on two cores starves
/// the pool, and a parked read ignores its cancellation token, so a deadline cannot end it.
/// </summary>
public sealed class ExecChannel : IAsyncDisposable
{
    private const byte StdoutChannel = 1, StderrChannel = 2, ErrorChannel = 3;
    private readonly WebSocket _socket;
    private readonly string _what;
    private readonly ExecOutputStream _stdout = new(), _stderr = new(), _error = new();
    private readonly CancellationTokenSource _stop = new();

    public Stream Stdin { get; }
    public Stream Stdout => _stdout;
    public Stream Stderr => _stderr;

    /// <summary>Completes when the WebSocket closes (the command ended or the connection dropped); never faults.</summary>
    public Task Closed { get; }

    internal ExecChannel(WebSocket socket, string what)
    {
        _socket = socket;
        _what = what;
        Stdin = new ExecInputStream(socket, what);
        Closed = Task.Run(ReceiveAsync);
    }

    public static async Task<ExecChannel> OpenAsync(KubeTarget target, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        var client = (Kubernetes)target.Client;
        try
        {
            var socket = await client.WebSocketNamespacedPodExecAsync(pod, target.Namespace, command, container,
                stderr: true, stdin: true, stdout: true, tty: false, cancellationToken: ct).ConfigureAwait(false);
            return new ExecChannel(socket, $"{pod}/{container}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ExecException($"cannot exec into {pod}/{container}: {KubeApiException.Wrap(e).Message}");
        }
    }

    /// <summary>
    /// Every message goes whole to its channel (a message may arrive in several receives; its first
    /// byte names the channel). A slow reader holds the loop back, as a full pipe holds back a writer.
    /// </summary>
    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        ExecOutputStream? target = null;
        var atMessageStart = true;
        Exception? dropped = null;
        try
        {
            while (true)
            {
                var r = await _socket.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) break;
                var at = 0;
                if (atMessageStart && r.Count > 0)
                {
                    target = buffer[0] switch { StdoutChannel => _stdout, StderrChannel => _stderr, ErrorChannel => _error, _ => null };
                    at = 1;
                }
                atMessageStart = r.EndOfMessage || (atMessageStart && r.Count == 0);
                if (target is not null && r.Count > at) await target.PushAsync(buffer.AsSpan(at, r.Count - at).ToArray(), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException) { dropped = e; }
        // A connection that drops before the command's status came is an error for every reader;
        // after it, only the close handshake was missing.
        var error = dropped is null || _error.Received ? null : new IOException($"the exec connection to {_what} dropped: {dropped.Message}", dropped);
        _stdout.Complete(error);
        _stderr.Complete(error);
        _error.Complete(error);
        // Nothing reads stdin once the server has closed or the connection dropped, but the server may
        // keep the TCP connection open: a write blocked on full buffers (a binary on its way to a
        // deleted pod) would wait for the request's deadline. Aborting fails it now.
        Abort();
    }

    /// <summary>Ends the connection now: pending reads and writes fail (the pod is known to be gone).</summary>
    public void Abort() => _socket.Abort();

    /// <summary>Waits for the command to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        using var reader = new StreamReader(_error, Encoding.UTF8);
        var status = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        if (status.Length == 0) throw new ExecException($"the exec in {_what} ended without the command's exit status");
        return PodExec.ParseExitCode(status);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        _stop.Cancel();
        _socket.Dispose();
        await Closed.ConfigureAwait(false);
        _stop.Dispose();
    }
}
