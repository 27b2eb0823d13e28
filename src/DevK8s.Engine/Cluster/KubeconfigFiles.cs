using k8s;
using k8s.KubeConfigModels;

namespace DevK8s.Engine.Cluster;

/// <summary>
/// Which kubeconfig files apply and their merge, by kubectl's rules: every existing file in
/// KUBECONFIG counts, the first file that defines a cluster, user or context name wins it whole,
/// the first file that sets current-context wins it. Paths inside each file stay relative to that file.
/// </summary>
public static class KubeconfigFiles
{
    /// <summary>The explicit file, else the existing entries of KUBECONFIG, else ~/.kube/config.</summary>
    public static IReadOnlyList<string> Find(string? explicitPath, string? kubeconfigVariable, string home)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return File.Exists(explicitPath) ? [Path.GetFullPath(explicitPath)] : throw new KubeconfigException($"The kubeconfig '{explicitPath}' does not exist.");
        if (!string.IsNullOrWhiteSpace(kubeconfigVariable))
        {
            var entries = kubeconfigVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(File.Exists).Select(Path.GetFullPath).Distinct().ToList();
            return entries.Count > 0
                ? entries
                : throw new KubeconfigException($"KUBECONFIG is set to '{kubeconfigVariable}', but no such file exists. Fix the variable or unset it to use ~/.kube/config.");
        }
        var fallback = Path.Combine(home, ".kube", "config");
        return File.Exists(fallback)
            ? [fallback]
            : throw new KubeconfigException($"No kubeconfig: KUBECONFIG is not set and {fallback} does not exist. Point KUBECONFIG at your cluster's kubeconfig.");
    }

    /// <summary>The files merged into one configuration, with every file path in it absolute.</summary>
    public static K8SConfiguration Load(IReadOnlyList<string> paths)
    {
        K8SConfiguration? merged = null;
        foreach (var path in paths)
        {
            var config = Read(path);
            ResolvePaths(config, Path.GetDirectoryName(Path.GetFullPath(path))!);
            merged = merged is null ? config : Merge(merged, config);
        }
        return merged ?? throw new ArgumentException("no kubeconfig files", nameof(paths));
    }

    /// <summary>What <paramref name="first"/> defines stays; <paramref name="later"/> adds only names first lacks.</summary>
    public static K8SConfiguration Merge(K8SConfiguration first, K8SConfiguration later)
    {
        if (string.IsNullOrEmpty(first.CurrentContext)) first.CurrentContext = later.CurrentContext;
        first.Clusters = Union(first.Clusters, later.Clusters, c => c.Name);
        first.Users = Union(first.Users, later.Users, u => u.Name);
        first.Contexts = Union(first.Contexts, later.Contexts, c => c.Name);
        first.Extensions = Union(first.Extensions, later.Extensions, e => e.Name);
        if (later.Preferences is { } preferences)
        {
            first.Preferences ??= new Dictionary<string, object>();
            foreach (var (key, value) in preferences) first.Preferences.TryAdd(key, value);
        }
        return first;
    }

    private static List<T> Union<T>(IEnumerable<T>? first, IEnumerable<T>? later, Func<T, string> name)
    {
        var result = (first ?? []).ToList();
        var taken = result.Select(name).ToHashSet(StringComparer.Ordinal);
        foreach (var item in later ?? [])
            if (taken.Add(name(item))) result.Add(item);
        return result;
    }

    /// <summary>
    /// Makes relative certificate, key and exec-command paths absolute against the file's folder, as
    /// kubectl does (a bare command name stays a PATH lookup), before merging loses which file said it.
    /// </summary>
    private static void ResolvePaths(K8SConfiguration config, string directory)
    {
        string? Resolve(string? p) => string.IsNullOrEmpty(p) || Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(directory, p));
        foreach (var cluster in config.Clusters ?? [])
            if (cluster.ClusterEndpoint is { } endpoint) endpoint.CertificateAuthority = Resolve(endpoint.CertificateAuthority);
        foreach (var user in config.Users ?? [])
        {
            if (user.UserCredentials is not { } credentials) continue;
            credentials.ClientCertificate = Resolve(credentials.ClientCertificate);
            credentials.ClientKey = Resolve(credentials.ClientKey);
            if (credentials.ExternalExecution is { Command: { } command } exec && (command.Contains('/') || command.Contains(Path.DirectorySeparatorChar)))
                exec.Command = Resolve(command);
        }
        // Resolved here: the client must not resolve them again against another file's folder.
        config.FileName = null;
    }

    private static K8SConfiguration Read(string path)
    {
        try { return KubernetesClientConfiguration.LoadKubeConfig(path); }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or k8s.Exceptions.KubeConfigException or IOException)
        {
            throw new KubeconfigException($"{path} is not a readable kubeconfig: {e.Message}");
        }
    }
}
