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
    /// <summary>The kubeconfig file, or the merged files joined by the path-list separator (as in KUBECONFIG).</summary>
    public required string KubeconfigPath { get; init; }
    public IReadOnlyList<string> KubeconfigPaths { get; init; } = [];
    internal KubernetesClientConfiguration Configuration { get; init; } = null!;

    /// <summary>
    /// Opens a connection. Precedence: explicit parameter, then devk8s.yaml, then kubeconfig
    /// (current-context and its namespace), then "default".
    /// </summary>
    public static KubeTarget Open(KubeTargetOptions parameters, string? configContext = null, string? configNamespace = null)
    {
        var paths = FindKubeconfigs(parameters.KubeconfigPath);
        var path = string.Join(Path.PathSeparator, paths);
        var kubeconfig = KubeconfigFiles.Load(paths);
        var context = parameters.Context ?? configContext ?? kubeconfig.CurrentContext;
        if (string.IsNullOrEmpty(context))
            throw new KubeconfigException($"{path} has no current-context. Pass -Context, set 'context' in devk8s.yaml, or run: kubectl config use-context <name>.");
        var known = kubeconfig.Contexts?.Select(c => c.Name).ToList() ?? [];
        if (!known.Contains(context))
            throw new KubeconfigException($"Context '{context}' is not in {path}. Known contexts: {(known.Count == 0 ? "none" : string.Join(", ", known))}.");
        ExecPlugins.PrepareForLaunch(kubeconfig);
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
            KubeconfigPaths = paths,
            Configuration = configuration,
        };
    }

    /// <summary>The explicit file, else every existing KUBECONFIG entry (merged as kubectl does), else ~/.kube/config.</summary>
    public static IReadOnlyList<string> FindKubeconfigs(string? explicitPath = null) =>
        KubeconfigFiles.Find(explicitPath, Environment.GetEnvironmentVariable("KUBECONFIG"), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>The files <see cref="FindKubeconfigs"/> finds, joined as in KUBECONFIG.</summary>
    public static string FindKubeconfig(string? explicitPath = null) => string.Join(Path.PathSeparator, FindKubeconfigs(explicitPath));

    public static IReadOnlyList<string> ListContexts() =>
        KubeconfigFiles.Load(FindKubeconfigs()).Contexts?.Select(c => c.Name).ToList() ?? [];

    public void Dispose() => Client.Dispose();
}

public sealed class KubeconfigException(string message) : Exception(message);
