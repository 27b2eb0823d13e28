using k8s;

namespace DevK8s.Engine.Cluster;

/// <summary>Which cluster and namespace a command works on, and where that choice came from.</summary>
public sealed record KubeTargetOptions(string? Context = null, string? Namespace = null, string? KubeconfigPath = null);

/// <summary>An open connection to one context of a kubeconfig, with the namespace to use.</summary>
public sealed class KubeTarget : IDisposable
{
    public required IKubernetes Client { get; init; }
    public required string Context { get; init; }
    public required string Namespace { get; init; }
    public required string Server { get; init; }
    public required string KubeconfigPath { get; init; }
    internal KubernetesClientConfiguration Configuration { get; init; } = null!;

    /// <summary>
    /// Opens a connection. Precedence: explicit parameter, then devk8s.yaml, then kubeconfig
    /// (current-context and its namespace), then "default".
    /// </summary>
    public static KubeTarget Open(KubeTargetOptions parameters, string? configContext = null, string? configNamespace = null)
    {
        var path = FindKubeconfig(parameters.KubeconfigPath);
        var kubeconfig = LoadKubeconfig(path);
        var context = parameters.Context ?? configContext ?? kubeconfig.CurrentContext;
        if (string.IsNullOrEmpty(context))
            throw new KubeconfigException($"{path} has no current-context. Pass -Context, set 'context' in devk8s.yaml, or run: kubectl config use-context <name>.");
        var known = kubeconfig.Contexts?.Select(c => c.Name).ToList() ?? [];
        if (!known.Contains(context))
            throw new KubeconfigException($"Context '{context}' is not in {path}. Known contexts: {(known.Count == 0 ? "none" : string.Join(", ", known))}.");
        KubernetesClientConfiguration configuration;
        try { configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, context); }
        catch (k8s.Exceptions.KubeConfigException e)
        {
            throw new KubeconfigException($"Context '{context}' in {path} is incomplete: {e.Message}");
        }
        // Dev sessions follow logs and hold exec channels for hours; per-call deadlines come from tokens.
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        var ns = parameters.Namespace ?? configNamespace ?? configuration.Namespace ?? "default";
        return new KubeTarget
        {
            Client = new Kubernetes(configuration),
            Context = context,
            Namespace = ns,
            Server = configuration.Host,
            KubeconfigPath = path,
            Configuration = configuration,
        };
    }

    /// <summary>KUBECONFIG (first existing entry of the list) or ~/.kube/config.</summary>
    public static string FindKubeconfig(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : throw new KubeconfigException($"The kubeconfig '{explicitPath}' does not exist.");
        var variable = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrWhiteSpace(variable))
        {
            var entries = variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return entries.FirstOrDefault(File.Exists) is { } found
                ? Path.GetFullPath(found)
                : throw new KubeconfigException($"KUBECONFIG is set to '{variable}', but no such file exists. Fix the variable or unset it to use ~/.kube/config.");
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var fallback = Path.Combine(home, ".kube", "config");
        return File.Exists(fallback)
            ? fallback
            : throw new KubeconfigException($"No kubeconfig: KUBECONFIG is not set and {fallback} does not exist. Point KUBECONFIG at your cluster's kubeconfig.");
    }

    public static IReadOnlyList<string> ListContexts() =>
        LoadKubeconfig(FindKubeconfig()).Contexts?.Select(c => c.Name).ToList() ?? [];

    private static k8s.KubeConfigModels.K8SConfiguration LoadKubeconfig(string path)
    {
        try { return KubernetesClientConfiguration.LoadKubeConfig(path); }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or k8s.Exceptions.KubeConfigException or IOException)
        {
            throw new KubeconfigException($"{path} is not a readable kubeconfig: {e.Message}");
        }
    }

    public void Dispose() => Client.Dispose();
}

public sealed class KubeconfigException(string message) : Exception(message);
