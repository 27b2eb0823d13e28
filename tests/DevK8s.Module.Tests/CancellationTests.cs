using System.Management.Automation;
using DevK8s.Tests.Shared;
using k8s;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>Ctrl+C in the middle of entering dev mode leaves the workload fully restored.</summary>
public class CancellationTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    [SkippableFact]
    public void Ctrl_C_while_the_dev_pod_starts_restores_the_original_before_the_pipeline_stops()
    {
        var client = TestCluster.Require();
        using var project = new TempProject($"namespace: {ns.Name}\nmanifests: [k8s]\nservices:\n  slow:\n    sync:\n      paths: [{{from: site, to: /app}}]\n");
        project.Write("site/index.html", "x\n");
        // The readiness delay keeps the dev pod unready long enough to press Ctrl+C mid-rollout.
        project.Write("k8s/slow.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: slow
            spec:
              replicas: 2
              selector:
                matchLabels:
                  app: slow
              template:
                metadata:
                  labels:
                    app: slow
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                    - name: main
                      image: devk8s-base/busybox:1
                      imagePullPolicy: Never
                      command: [sh, -c, "mkdir -p /app && exec httpd -f -p 8080 -h /app"]
                      readinessProbe:
                        tcpSocket:
                          port: 8080
                        initialDelaySeconds: 25
                        periodSeconds: 1
            """);
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "slow", 2, ns.Name, 120);
        var before = TemplateJson(client, ns.Name, "slow");
        var generation = client.AppsV1.ReadNamespacedDeployment("slow", ns.Name).Metadata.Generation;

        var (state, took) = host.InvokeAndStop("Start-DevService slow", TimeSpan.FromSeconds(4));

        Assert.Equal(PSInvocationState.Stopped, state);
        Assert.True(took < TimeSpan.FromSeconds(20), $"stopping took {took}");
        Assert.Equal(before, TemplateJson(client, ns.Name, "slow"));
        // Equal templates alone would also hold if Ctrl+C came before dev mode changed anything: two
        // spec changes (the dev template applied, then the original restored) prove the restore ran.
        var after = client.AppsV1.ReadNamespacedDeployment("slow", ns.Name);
        Assert.Equal(generation + 2, after.Metadata.Generation);
        Assert.Equal(2, after.Spec.Replicas);
        var annotations = client.AppsV1.ReadNamespacedDeployment("slow", ns.Name).Metadata.Annotations ?? new Dictionary<string, string>();
        Assert.DoesNotContain("devk8s.io/session", annotations.Keys);
        Assert.DoesNotContain("devk8s.io/original", annotations.Keys);
        Assert.Empty(host.Invoke("Get-DevSession slow").Output);
    }
}
