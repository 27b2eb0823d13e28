using System.Text;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Exec;

namespace DevK8s.Engine.Relay;

/// <summary>
/// The relay link through the Kubernetes API: an exec of "devk8s-agent attach", whose stdout and
/// stdin carry the frames. Chosen over a port-forward because exec is already required (upload,
/// sync), needs no pods/portforward right, and works on dockershim nodes without socat; the link
/// never needs to half-close stdin, so the pre-1.29 exec protocol is enough.
/// </summary>
public static class ExecRelayTransport
{
    /// <summary>
    /// A connect function that follows the workload: each (re)connect asks <paramref name="resolve"/>
    /// for the current dev pod and uploads the agent if that container lacks it (a new or restarted pod).
    /// </summary>
    public static Func<CancellationToken, Task<Stream>> Connect(KubeTarget target, Func<CancellationToken, Task<(string Pod, string Container)>> resolve, Action<string>? stderr = null) =>
        async ct =>
        {
            var (pod, container) = await resolve(ct).ConfigureAwait(false);
            await RelayAgent.EnsureUploadedAsync(target, pod, container, ct).ConfigureAwait(false);
            return await Connect(target, pod, container, stderr)(ct).ConfigureAwait(false);
        };

    /// <summary>A connect function for <see cref="RelayClient"/>; the attach's stderr goes to <paramref name="stderr"/>.</summary>
    public static Func<CancellationToken, Task<Stream>> Connect(KubeTarget target, string pod, string container, Action<string>? stderr = null) =>
        async ct =>
        {
            var channel = await ExecChannel.OpenAsync(target, pod, container, RelayAgent.AttachCommand, ct).ConfigureAwait(false);
            if (stderr is not null)
            {
                _ = Task.Run(async () =>
                {
                    using var reader = new StreamReader(channel.Stderr, Encoding.UTF8);
                    try { while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) stderr(line); }
                    catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.WebSockets.WebSocketException) { }
                }, CancellationToken.None);
            }
            return new DuplexStream(channel.Stdout, channel.Stdin, channel);
        };
}
