using System.Text;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Exec;

namespace DevK8s.Engine.Intercept.Builtin;

/// <summary>
/// The dev container's environment exactly as Kubernetes computed it (env, envFrom, ConfigMap and
/// Secret values, service variables, the image's ENV): PID 1's environ, which is the agent started
/// by the container's command, read through the exec API. Values are never logged.
/// </summary>
public static class PodEnvironment
{
    public static async Task<Dictionary<string, string>> ReadAsync(KubeTarget target, string pod, string container, CancellationToken ct)
    {
        var result = await PodExec.RunAsync(target, pod, container, ["cat", "/proc/1/environ"], ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new ExecException($"reading the environment of {pod}/{container} (cat /proc/1/environ) failed with exit {result.ExitCode}: {result.Stderr.Trim()}");
        return Parse(result.Stdout);
    }

    /// <summary>NUL-separated NAME=value entries; a value may hold '=' and newlines.</summary>
    public static Dictionary<string, string> Parse(string environ)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in environ.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = entry.IndexOf('=');
            if (eq > 0) env[entry[..eq]] = entry[(eq + 1)..];
        }
        return env;
    }
}
