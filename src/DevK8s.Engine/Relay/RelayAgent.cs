using System.Text;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Exec;

namespace DevK8s.Engine.Relay;

/// <summary>
/// The Go agent (src/agent) as the dev container runs it: where the module ships it, the
/// container command that waits for it, and its upload through the exec API.
/// </summary>
public static class RelayAgent
{
    /// <summary>Where the agent lands in the container (/tmp exists and is writable in almost every image).</summary>
    public const string RemotePath = "/tmp/devk8s-agent";

    /// <summary>The agent's readiness port: accepts only while a client is attached (for a TCP readinessProbe).</summary>
    public const int DefaultReadyPort = 15099;

    /// <summary>The agent's control socket (its default): it exists once the agent listens.</summary>
    public const string ControlSocket = "/tmp/.devk8s-agent.sock";

    /// <summary>The agent's link port on the pod's loopback: DevK8s's port-forward arrives there.</summary>
    public const int DefaultLinkPort = 15098;

    /// <summary>
    /// The dev container's command: wait for the upload, then serve. The shell loop, not the agent,
    /// is what the image starts, so no image change and no init container are needed.
    /// </summary>
    public static IReadOnlyList<string> ContainerCommand(IEnumerable<int> ports, int readyPort = DefaultReadyPort, int linkPort = DefaultLinkPort) =>
        ["/bin/sh", "-c",
         $"while [ ! -x {RemotePath} ]; do sleep 0.2 2>/dev/null || sleep 1; done; " +
         $"exec {RemotePath} serve --ready {readyPort} --link {linkPort} {string.Join(' ', ports)}"];

    /// <summary>The agent binary the module ships for a Linux architecture (amd64, arm64).</summary>
    public static string LocalBinary(string arch)
    {
        var relative = Path.Combine("agent", $"linux-{arch}", "devk8s-agent");
        // The module loads the engine from out/DevK8s/Dependencies and ships the agent in
        // out/DevK8s/agent; a source tree's tests find the build in out/DevK8s.
        var starts = new[] { Path.GetDirectoryName(typeof(RelayAgent).Assembly.Location), AppContext.BaseDirectory };
        foreach (var start in starts.Where(s => !string.IsNullOrEmpty(s)))
        {
            for (var dir = new DirectoryInfo(start!); dir is not null; dir = dir.Parent)
            {
                foreach (var root in new[] { dir.FullName, Path.Combine(dir.FullName, "out", "DevK8s") })
                    if (File.Exists(Path.Combine(root, relative))) return Path.Combine(root, relative);
            }
        }
        throw new FileNotFoundException($"the relay agent for linux/{arch} is not in this DevK8s module ({relative}); rebuild it with ./build.sh");
    }

    /// <summary>The container's architecture in Go's terms, from uname -m.</summary>
    public static async Task<string> DetectArchAsync(KubeTarget target, string pod, string container, CancellationToken ct)
    {
        var result = await PodExec.RunAsync(target, pod, container, ["uname", "-m"], ct).ConfigureAwait(false);
        return result.Stdout.Trim() switch
        {
            "x86_64" or "amd64" => "amd64",
            "aarch64" or "arm64" => "arm64",
            var other => throw new NotSupportedException($"container {pod}/{container} runs on '{other}'; the relay agent ships for amd64 and arm64 only"),
        };
    }

    /// <summary>
    /// Uploads the agent unless the container already has it (a restarted container has lost it;
    /// its command waits for it again). Returns whether it uploaded.
    /// </summary>
    public static async Task<bool> EnsureUploadedAsync(KubeTarget target, string pod, string container, CancellationToken ct)
    {
        var present = await PodExec.RunAsync(target, pod, container, ["/bin/sh", "-c", $"test -x {RemotePath}"], ct).ConfigureAwait(false);
        if (present.ExitCode == 0) return false;
        var arch = await DetectArchAsync(target, pod, container, ct).ConfigureAwait(false);
        await UploadAsync(target, pod, container, LocalBinary(arch), ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Copies the agent into the container. Exec stdin cannot be closed before Kubernetes 1.29, so
    /// the shell reads exactly the binary's length; the rename makes the waiting loop see a whole file.
    /// </summary>
    public static async Task UploadAsync(KubeTarget target, string pod, string container, string localBinary, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(localBinary, ct).ConfigureAwait(false);
        var part = RemotePath + ".part";
        // Then wait (up to 5 s) for the container's waiting loop to start it: the agent makes its
        // control socket after every listener, so the first port-forward finds the link port open.
        var script = $"head -c {bytes.Length} > {part} && chmod 755 {part} && mv -f {part} {RemotePath} && " +
                     $"i=0; while [ ! -S {ControlSocket} ] && [ $i -lt 50 ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done";
        await using var channel = await ExecChannel.OpenAsync(target, pod, container, ["/bin/sh", "-c", script], ct).ConfigureAwait(false);
        var stderr = new StreamReader(channel.Stderr, Encoding.UTF8).ReadToEndAsync(ct);
        for (var at = 0; at < bytes.Length; at += 64 * 1024)
            await channel.Stdin.WriteAsync(bytes.AsMemory(at, Math.Min(64 * 1024, bytes.Length - at)), ct).ConfigureAwait(false);
        await channel.Stdin.FlushAsync(ct).ConfigureAwait(false);
        var exit = await channel.WaitForExitAsync(ct).ConfigureAwait(false);
        if (exit != 0)
            throw new ExecException($"uploading the relay agent to {pod}/{container}:{RemotePath} failed (exit {exit}): {(await stderr.ConfigureAwait(false)).Trim()}. The container needs sh, head and a writable /tmp.");
    }
}
