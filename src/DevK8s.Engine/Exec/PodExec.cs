using System.Text;
using System.Text.Json;
using DevK8s.Engine.Cluster;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.Exec;

// The permissions the API calls in this file need are rows of Doctor/ClusterPermissions.cs, which the doctor checks.
/// <summary>
/// Exec into containers over KubernetesClient's WebSocket API. Kubernetes before 1.29 speaks only
/// v4.channel.k8s.io, which cannot close stdin: commands here never wait for stdin EOF; data goes
/// through <see cref="ExecChannel"/> with length framing instead.
/// </summary>
public static class PodExec
{
    /// <summary>Runs a command that needs no stdin and returns its exit code and output.</summary>
    public static async Task<ExecResult> RunAsync(KubeTarget target, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        await using var channel = await ExecChannel.OpenAsync(target, pod, container, command, ct).ConfigureAwait(false);
        var stdout = ReadAllAsync(channel.Stdout, ct);
        var stderr = ReadAllAsync(channel.Stderr, ct);
        var status = await channel.WaitForExitAsync(ct).ConfigureAwait(false);
        return new ExecResult(status, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static async Task<string> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The exit code from the error channel's final Status object.</summary>
    internal static int ParseExitCode(string statusJson)
    {
        if (string.IsNullOrWhiteSpace(statusJson)) return 0;
        var status = KubernetesJson.Deserialize<V1Status>(statusJson);
        if (status.Status == "Success") return 0;
        var code = status.Details?.Causes?.FirstOrDefault(c => c.Reason == "ExitCode")?.Message;
        if (code is not null && int.TryParse(code, out var exit)) return exit;
        throw new ExecException(status.Message ?? statusJson);
    }
}

/// <summary>One open exec WebSocket with its demultiplexed stdin, stdout, stderr and status.</summary>
public sealed class ExecChannel : IAsyncDisposable
{
    private readonly System.Net.WebSockets.WebSocket _socket;
    private readonly StreamDemuxer _demuxer;
    private readonly Stream _error;

    public Stream Stdin { get; }
    public Stream Stdout { get; }
    public Stream Stderr { get; }

    /// <summary>Completes when the WebSocket closes (the command ended or the connection dropped).</summary>
    public Task Closed { get; }

    private ExecChannel(System.Net.WebSockets.WebSocket socket, StreamDemuxer demuxer)
    {
        _socket = socket;
        _demuxer = demuxer;
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        demuxer.ConnectionClosed += (_, _) => closed.TrySetResult();
        Closed = closed.Task;
        Stdin = demuxer.GetStream((ChannelIndex?)null, ChannelIndex.StdIn);
        Stdout = demuxer.GetStream(ChannelIndex.StdOut, (ChannelIndex?)null);
        Stderr = demuxer.GetStream(ChannelIndex.StdErr, (ChannelIndex?)null);
        _error = demuxer.GetStream(ChannelIndex.Error, (ChannelIndex?)null);
    }

    public static async Task<ExecChannel> OpenAsync(KubeTarget target, string pod, string container, IReadOnlyList<string> command, CancellationToken ct)
    {
        var client = (Kubernetes)target.Client;
        System.Net.WebSockets.WebSocket socket;
        try
        {
            socket = await client.WebSocketNamespacedPodExecAsync(pod, target.Namespace, command, container,
                stderr: true, stdin: true, stdout: true, tty: false, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ExecException($"cannot exec into {pod}/{container}: {KubeApiException.Wrap(e).Message}");
        }
        var demuxer = new StreamDemuxer(socket, StreamType.RemoteCommand, ownsSocket: true, supportsClose: false);
        demuxer.Start();
        return new ExecChannel(socket, demuxer);
    }

    /// <summary>Waits for the command to end and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken ct)
    {
        using var reader = new StreamReader(_error, Encoding.UTF8);
        var status = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
        return PodExec.ParseExitCode(status);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == System.Net.WebSockets.WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        _demuxer.Dispose();
    }
}
