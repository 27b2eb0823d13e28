using System.Text;
using k8s;
using k8s.Models;

namespace DevK8s.Tests.Shared;

/// <summary>What a test checks on the real cluster, through the tests' own client.</summary>
public static class ClusterHelpers
{
    /// <summary>Runs a command in a container and returns its stdout (throws on a non-zero exit).</summary>
    public static async Task<string> ExecAsync(IKubernetes client, string ns, string pod, string container, params string[] command)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var code = await ((Kubernetes)client).NamespacedPodExecAsync(pod, ns, container, command, false, async (_, output, error) =>
        {
            using var o = new StreamReader(output);
            using var e = new StreamReader(error);
            var a = o.ReadToEndAsync();
            var b = e.ReadToEndAsync();
            stdout.Append(await a);
            stderr.Append(await b);
        }, CancellationToken.None);
        if (code != 0) throw new InvalidOperationException($"exec {string.Join(' ', command)} in {pod} exited {code}: {stderr}");
        return stdout.ToString();
    }

    public static async Task<V1Pod> RunningPodAsync(IKubernetes client, string ns, string app, Func<V1Pod, bool>? where = null, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"app={app}");
            var pod = pods.Items.FirstOrDefault(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase == "Running"
                && p.Status.ContainerStatuses?.All(c => c.Ready) == true && (where?.Invoke(p) ?? true));
            if (pod is not null) return pod;
            await Task.Delay(250);
        }
        throw new TimeoutException($"no running pod of {app} in {ns} after {seconds}s");
    }

    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        T last = default!;
        Exception? error = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await probe();
                if (done(last)) return last;
                error = null;
            }
            catch (Exception e) { error = e; }
            await Task.Delay(100);
        }
        throw new TimeoutException($"condition not met after {seconds}s; last value: {Describe(last)}; last error: {error?.Message}");
    }

    /// <summary>What a failed wait saw, readable: pods by name, image, phase, readiness and deletion.</summary>
    private static string Describe(object? value) => value switch
    {
        IEnumerable<V1Pod> pods => "[" + string.Join("; ", pods.Select(p =>
            $"{p.Metadata.Name} {string.Join(",", p.Spec.Containers.Select(c => c.Image))} {p.Status?.Phase}"
            + $" ready={p.Status?.ContainerStatuses?.All(c => c.Ready) == true}"
            + (p.Metadata.DeletionTimestamp is { } gone ? $" deleting since {gone:HH:mm:ss}" : ""))) + "]",
        _ => value?.ToString() ?? "null",
    };

    public static string TemplateJson(IKubernetes client, string ns, string deployment)
    {
        var d = client.AppsV1.ReadNamespacedDeployment(deployment, ns);
        return KubernetesJson.Serialize(new { d.Spec.Replicas, d.Spec.Template });
    }
}
