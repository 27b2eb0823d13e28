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
