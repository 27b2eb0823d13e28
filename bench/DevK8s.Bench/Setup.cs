using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using k8s;
using k8s.Models;

namespace DevK8s.Bench;

/// <summary>The bench's own namespace, a busybox deployment, and a project with a generated tree.</summary>
internal static class Setup
{
    public static async Task<ProjectConfig> ProjectAsync(KubeTarget target, string work, int files, string folder = "site", string to = "/app")
    {
        var client = target.Client;
        try { await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = target.Namespace } }); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "bench" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "bench" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "bench" } },
                    Spec = new V1PodSpec
                    {
                        TerminationGracePeriodSeconds = 0,
                        Containers = [new V1Container { Name = "web", Image = "devk8s-base/busybox:1", ImagePullPolicy = "Never", Command = ["sh", "-c", "mkdir -p /app && exec httpd -f -p 8080 -h /app"] }],
                    },
                },
            },
        };
        try { await client.AppsV1.CreateNamespacedDeploymentAsync(deployment, target.Namespace); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }

        for (var i = 0; i < 240; i++)
        {
            var d = await client.AppsV1.ReadNamespacedDeploymentAsync("bench", target.Namespace);
            if ((d.Status?.ReadyReplicas ?? 0) >= 1) break;
            await Task.Delay(250);
        }
        Tree.Create(Path.Combine(work, folder), files);
        var config = Path.Combine(work, "devk8s.yaml");
        File.WriteAllText(config, $"namespace: {target.Namespace}\nservices:\n  bench:\n    container: web\n    sync:\n      paths:\n        - from: {folder}\n          to: {to}\n");
        return ConfigLoader.Load(config);
    }
}
