using System.Diagnostics;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// Dev mode that nothing else can silently undo: a prod deploy during dev mode, another tool's
/// change, an owner whose process is gone, and writes that race with other writers.
/// </summary>
public class DevModeSafetyTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private TempProject Project(string app, string version = "v1")
    {
        var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              {app}:
                sync:
                  paths:
                    - from: site
                      to: /app
                  onChange:
                    - match: "*.sh"
                      action: restart
            """);
        WriteManifest(project, app, version);
        project.Write("site/index.html", "<h1>dev</h1>\n");
        return project;
    }

    private static void WriteManifest(TempProject project, string app, string version) =>
        project.Write($"k8s/{app}.yaml", ClusterProjectTests.Deployment(app, replicas: 2,
            command: "[sh, -c, \"mkdir -p /app && exec httpd -f -p 8080 -h /app\"]",
            extra: $"\n          env: [{{name: VERSION, value: {version}}}]"));

    private static PowerShellHost Deployed(TempProject project, string app, IKubernetes client, string ns)
    {
        var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, app, 2, ns);
        return host;
    }


    [SkippableFact]
    public async Task A_prod_deploy_in_dev_mode_leaves_the_dev_pod_alone_and_Stop_brings_back_what_was_deployed_last()
    {
        var client = TestCluster.Require();
        using var project = Project("safe1");
        using var host = Deployed(project, "safe1", client, ns.Name);
        var session = host.Invoke("Start-DevService safe1").Single("DevSession");
        var devTemplate = TemplateJson(client, ns.Name, "safe1");

        WriteManifest(project, "safe1", "v2");
        var deploy = host.Invoke("Deploy-DevProject");
        deploy.AssertNoErrors();
        var result = deploy.OfType("DevApplyResult").Single(r => r.Str("Kind") == "Deployment");
        Assert.Equal("Deferred", result.Str("Action"));
        Assert.Contains("recorded as the original that Stop-DevService restores", result.Str("Reason"));

        // The dev pod is untouched and the session stays live.
        Assert.Equal(devTemplate, TemplateJson(client, ns.Name, "safe1"));
        await Task.Delay(2500); // longer than the session guard's poll: it must not see its session as ended
        var pod = client.CoreV1.ReadNamespacedPod(session.Str("Pod"), ns.Name);
        Assert.Null(pod.Metadata.DeletionTimestamp);
        Assert.Equal(0, pod.Status.ContainerStatuses.Single().RestartCount);
        Assert.Equal("Live", host.Invoke("Get-DevSession safe1").OfType("DevSession").Single().Str("State"));
        Assert.Empty((string[])host.Invoke("Get-DevService safe1").OfType("DevService").Single().Prop("Drift")!);

        host.Invoke("Stop-DevService safe1").AssertNoErrors();
        var restored = client.AppsV1.ReadNamespacedDeployment("safe1", ns.Name);
        Assert.Equal("v2", restored.Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "VERSION").Value);
        Assert.Equal(2, restored.Spec.Replicas);
        // Exactly what a deploy of v2 gives: deploying it again changes nothing.
        var again = host.Invoke("Deploy-DevProject");
        again.AssertNoErrors();
        Assert.Equal("Unchanged", again.OfType("DevApplyResult").Single(r => r.Str("Kind") == "Deployment").Str("Action"));
    }

    [SkippableFact]
    public void A_change_by_another_tool_shows_as_drift_and_Stop_refuses_to_discard_it_unless_Force()
    {
        var client = TestCluster.Require();
        using var project = Project("safe2");
        using var host = Deployed(project, "safe2", client, ns.Name);
        host.Invoke("Start-DevService safe2").AssertNoErrors();
        var prod = client.AppsV1.ReadNamespacedDeployment("safe2", ns.Name).Metadata.Annotations["devk8s.io/original"];

        // What `kubectl edit` does: an update under its own field manager.
        var d = client.AppsV1.ReadNamespacedDeployment("safe2", ns.Name);
        d.Spec.Template.Spec.Containers[0].Env.Add(new V1EnvVar { Name = "DEBUG", Value = "1" });
        client.AppsV1.ReplaceNamespacedDeployment(d, "safe2", ns.Name, fieldManager: "kubectl-edit");

        var service = host.Invoke("Get-DevService safe2").OfType("DevService").Single();
        var drift = Assert.Single((string[])service.Prop("Drift")!);
        Assert.StartsWith("changed by kubectl-edit at ", drift);
        Assert.Contains("spec.template.spec.containers[name=main].env[name=DEBUG]", drift);

        var refused = Assert.Single(host.Invoke("Stop-DevService safe2").Errors);
        Assert.StartsWith("DevK8s.DevModeDrifted,", refused.FullyQualifiedErrorId);
        Assert.Contains("kubectl-edit", refused.Exception.Message);
        Assert.Contains("env[name=DEBUG]", refused.Exception.Message);
        Assert.Contains("Stop-DevService -Force", refused.ErrorDetails.RecommendedAction);
        Assert.Equal("Dev", host.Invoke("Get-DevService safe2").OfType("DevService").Single().Str("Mode"));

        host.Invoke("Stop-DevService safe2 -Force").AssertNoErrors();
        var restored = client.AppsV1.ReadNamespacedDeployment("safe2", ns.Name);
        Assert.False(restored.Metadata.Annotations?.ContainsKey("devk8s.io/session") ?? false);
        Assert.DoesNotContain(restored.Spec.Template.Spec.Containers[0].Env, e => e.Name == "DEBUG");
        var recorded = System.Text.Json.Nodes.JsonNode.Parse(prod)!["template"];
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(recorded, System.Text.Json.Nodes.JsonNode.Parse(KubernetesJson.Serialize(restored.Spec.Template))),
            "the restored template is the recorded original");
    }

    [SkippableFact]
    public async Task A_session_whose_process_is_gone_turns_Stale_and_is_stopped_without_Force_with_a_warning()
    {
        var client = TestCluster.Require();
        using var project = Project("safe3");
        using var host = Deployed(project, "safe3", client, ns.Name);
        var before = TemplateJson(client, ns.Name, "safe3");

        using var alice = ShellProcess.Start(project.Directory, "Start-DevService safe3; Start-Sleep -Seconds 600",
            new Dictionary<string, string> { ["DEVK8S_OWNER"] = "alice@laptop", ["DEVK8S_LEASE_SECONDS"] = "15" });
        try
        {
            var live = await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevService safe3").OfType("DevService").Single()),
                s => s.Str("Mode") == "Dev" && s.Str("Session") == "Live", seconds: 90);
            Assert.Equal("alice@laptop", live.Str("Owner"));
            await Task.Delay(20000); // longer than the lease: alice's process keeps renewing it
            Assert.Equal("Live", host.Invoke("Get-DevService safe3").OfType("DevService").Single().Str("Session"));
            var refused = Assert.Single(host.Invoke("Stop-DevService safe3").Errors);
            Assert.StartsWith("DevK8s.DevModeOwned,", refused.FullyQualifiedErrorId);
        }
        finally
        {
            alice.Kill(entireProcessTree: true); // exactly the process this test started
            await alice.WaitForExitAsync();
        }

        var stale = await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevService safe3").OfType("DevService").Single()),
            s => s.Str("Session") == "Stale", seconds: 45);
        var lastSeen = (DateTimeOffset)stale.Prop("LastSeen")!;
        Assert.InRange(DateTimeOffset.UtcNow - lastSeen, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));

        var stop = host.Invoke("Stop-DevService safe3");
        stop.AssertNoErrors();
        var warning = Assert.Single(stop.Warnings);
        Assert.Contains("alice@laptop", warning);
        Assert.Contains("stale (last seen ", warning);
        Assert.Equal(before, TemplateJson(client, ns.Name, "safe3"));
        Assert.DoesNotContain(client.CoordinationV1.ListNamespacedLease(ns.Name).Items, l => l.Metadata.Name == "devk8s-deployment-safe3");
    }

    [SkippableFact]
    public async Task Start_and_Stop_survive_conflicting_writers()
    {
        var client = TestCluster.Require();
        using var project = Project("safe4");
        using var host = Deployed(project, "safe4", client, ns.Name);
        var before = TemplateJson(client, ns.Name, "safe4");
        using var stop = new CancellationTokenSource();
        var writes = 0;
        // Another writer that touches the workload all the time (labels only: no drift, no rollout).
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var d = await client.AppsV1.ReadNamespacedDeploymentAsync("safe4", ns.Name);
                    d.Metadata.Labels["touched"] = (++writes).ToString();
                    await client.AppsV1.ReplaceNamespacedDeploymentAsync(d, "safe4", ns.Name, fieldManager: "label-bot");
                }
                catch (k8s.Autorest.HttpOperationException) { }
                await Task.Delay(20);
            }
        });
        try
        {
            for (var i = 0; i < 3; i++)
            {
                host.Invoke("Start-DevService safe4").AssertNoErrors();
                host.Invoke("Stop-DevService safe4").AssertNoErrors();
            }
        }
        finally
        {
            stop.Cancel();
            await writer;
        }
        Assert.True(writes > 20, $"the other writer wrote {writes} times");
        Assert.Equal(before, TemplateJson(client, ns.Name, "safe4"));
    }
}
