using System.Text.RegularExpressions;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Local;
using k8s;
using k8s.Models;

namespace DevK8s.Engine.Doctor;

public enum CheckStatus { Pass, Warn, Fail }

public sealed record CheckResult(string Name, CheckStatus Status, string Detail, string? Fix);

/// <summary>Checks everything DevK8s needs, reporting each finding with the exact fix.</summary>
public static partial class EnvironmentDoctor
{
    /// <summary>What dev mode needs: (verb, resource, subresource, group).</summary>
    public static readonly (string Verb, string Resource, string? Sub, string Group)[] Permissions =
    [
        ("get", "deployments", null, "apps"), ("list", "deployments", null, "apps"), ("watch", "deployments", null, "apps"),
        ("patch", "deployments", null, "apps"), ("list", "pods", null, ""), ("watch", "pods", null, ""),
        ("create", "pods", "exec", ""), ("create", "pods", "portforward", ""), ("get", "pods", "log", ""),
        // Found by running the whole builtin intercept as a ServiceAccount (NoAdminInterceptTests):
        ("update", "deployments", null, "apps"), ("get", "pods", null, ""), ("get", "pods", "exec", ""), ("list", "services", null, ""),
        ("get", "leases", null, "coordination.k8s.io"), ("list", "leases", null, "coordination.k8s.io"), ("create", "leases", null, "coordination.k8s.io"),
        ("update", "leases", null, "coordination.k8s.io"), ("delete", "leases", null, "coordination.k8s.io"),
    ];

    public static readonly string[] Builders = ["docker", "podman", "nerdctl", "buildah"];

    public static async IAsyncEnumerable<CheckResult> RunAsync(
        KubeTargetOptions options, string currentDirectory, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        ProjectConfig? project = null;
        var configPath = ProjectLocator.Find(currentDirectory);
        if (configPath is null)
            yield return new CheckResult("Project", CheckStatus.Warn, $"no {ConfigLoader.FileName} in {currentDirectory} or its parents",
                $"Create {ConfigLoader.FileName} next to your prod manifests, or cd into your project.");
        else
        {
            CheckResult result;
            try
            {
                project = ConfigLoader.Load(configPath);
                result = new CheckResult("Project", CheckStatus.Pass, $"{configPath}: {project.Services.Count} service(s)", null);
            }
            catch (ConfigException e)
            {
                result = new CheckResult("Project", CheckStatus.Fail, e.Message, "Fix the listed lines; Get-DevProject shows the same errors.");
            }
            yield return result;
        }

        KubeTarget? target = null;
        CheckResult kubeconfigCheck;
        try
        {
            target = KubeTarget.Open(options, project?.Context, project?.Namespace);
            kubeconfigCheck = new CheckResult("Kubeconfig", CheckStatus.Pass, $"{target.KubeconfigPath}, context '{target.Context}', namespace '{target.Namespace}'", null);
        }
        catch (KubeconfigException e)
        {
            kubeconfigCheck = new CheckResult("Kubeconfig", CheckStatus.Fail, e.Message, "Set KUBECONFIG to your cluster's kubeconfig, or pass -Context with a context it contains.");
        }
        yield return kubeconfigCheck;

        if (target is not null)
        {
            using (target)
            {
                var reachable = await CheckServerAsync(target, ct).ConfigureAwait(false);
                yield return reachable;
                if (reachable.Status == CheckStatus.Pass)
                {
                    yield return await CheckNamespaceAsync(target, ct).ConfigureAwait(false);
                    yield return await CheckPermissionsAsync(target, ct).ConfigureAwait(false);
                }
            }
        }

        yield return await CheckTelepresenceAsync(project, ct).ConfigureAwait(false);
        yield return CheckBuilder(project);
    }

    private static async Task<CheckResult> CheckServerAsync(KubeTarget target, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var version = await target.Client.Version.GetCodeAsync(timeout.Token).ConfigureAwait(false);
            return new CheckResult("Server", CheckStatus.Pass, $"{target.Server} answers: Kubernetes {version.GitVersion}", null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new CheckResult("Server", CheckStatus.Fail, $"{target.Server} does not answer: {KubeApiException.Wrap(e).Message}",
                "Start the cluster (tests/cluster/up for the local test cluster), check VPN/firewall, or pick another context with -Context.");
        }
    }

    private static async Task<CheckResult> CheckNamespaceAsync(KubeTarget target, CancellationToken ct)
    {
        try
        {
            await target.Client.CoreV1.ReadNamespaceAsync(target.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return new CheckResult("Namespace", CheckStatus.Pass, $"'{target.Namespace}' exists", null);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return new CheckResult("Namespace", CheckStatus.Warn, $"'{target.Namespace}' does not exist yet", "Deploy-DevProject creates it and applies your prod manifests.");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            return new CheckResult("Namespace", CheckStatus.Warn, $"cannot read namespace '{target.Namespace}' (forbidden); it may still exist", null);
        }
    }

    private static async Task<CheckResult> CheckPermissionsAsync(KubeTarget target, CancellationToken ct)
    {
        var denied = new List<string>();
        foreach (var (verb, resource, sub, group) in Permissions)
        {
            var review = new V1SelfSubjectAccessReview
            {
                Spec = new V1SelfSubjectAccessReviewSpec
                {
                    ResourceAttributes = new V1ResourceAttributes { Verb = verb, Resource = resource, Subresource = sub, Group = group, NamespaceProperty = target.Namespace },
                },
            };
            var answer = await target.Client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(review, cancellationToken: ct).ConfigureAwait(false);
            if (answer.Status?.Allowed != true) denied.Add($"{verb} {resource}{(sub is null ? "" : "/" + sub)}");
        }
        return denied.Count == 0
            ? new CheckResult("Permissions", CheckStatus.Pass, $"all {Permissions.Length} permissions granted in '{target.Namespace}'", null)
            : new CheckResult("Permissions", CheckStatus.Fail, $"denied in '{target.Namespace}': {string.Join(", ", denied)}",
                $"Ask a cluster admin for a Role in '{target.Namespace}' that grants: {string.Join("; ", denied)}.");
    }

    private static async Task<CheckResult> CheckTelepresenceAsync(ProjectConfig? project, CancellationToken ct)
    {
        var configured = project?.Services.Select(s => s.Intercept?.Telepresence).FirstOrDefault(t => t is not null);
        var needed = project?.Services.Any(s => s.Intercept is not null) == true;
        var path = ExecutableFinder.Find(configured ?? "telepresence");
        var missing = needed ? CheckStatus.Fail : CheckStatus.Warn;
        if (path is null)
            return new CheckResult("Telepresence", missing, "telepresence is not on PATH" + (needed ? " (the Intercept strategy needs it)" : " (only the Intercept strategy needs it)"),
                "Install Telepresence 2.20 or newer (https://telepresence.io/docs/install/client), or set intercept.telepresence in devk8s.yaml.");
        var output = await ExecutableFinder.ReadOutputAsync(path, ["version"], TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        var match = output is null ? null : ClientVersion().Match(output);
        if (match is null || !match.Success)
            return new CheckResult("Telepresence", missing, $"{path} did not report a version", "Reinstall Telepresence 2.20 or newer.");
        var version = Version.Parse(match.Groups[1].Value);
        return version >= new Version(2, 20)
            ? new CheckResult("Telepresence", CheckStatus.Pass, $"{path} v{version}", null)
            : new CheckResult("Telepresence", missing, $"{path} v{version} is older than 2.20", "Upgrade Telepresence to 2.20 or newer.");
    }

    private static CheckResult CheckBuilder(ProjectConfig? project)
    {
        var needed = project?.Services.Any(s => s.Image is not null) == true;
        foreach (var name in Builders)
            if (ExecutableFinder.Find(name) is { } path)
                return new CheckResult("Builder", CheckStatus.Pass, $"{name} at {path}", null);
        return new CheckResult("Builder", needed ? CheckStatus.Fail : CheckStatus.Warn, "no docker, podman, nerdctl or buildah on PATH" + (needed ? " (the Image strategy needs one)" : ""),
            "Install Docker or Podman and make sure it is on PATH.");
    }

    [GeneratedRegex(@"Client\s*:?\s*v?(\d+\.\d+(?:\.\d+)?)", RegexOptions.IgnoreCase)]
    private static partial Regex ClientVersion();
}
