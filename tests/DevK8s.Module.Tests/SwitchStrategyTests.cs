using System.Diagnostics;
using DevK8s.Tests.Shared;
using k8s;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// Switch-DevStrategy on the real cluster: one recorded original whatever happens in between,
/// equal plans without a rollout, a failing new loop that brings the old one back, and a switch
/// from a second process that the first one notices. Intercept uses the Telepresence stand-in.
/// </summary>
public class SwitchStrategyTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    /// <summary>
    /// A service with a Sync section (a restart rule, so the command is wrapped) and an Intercept
    /// section; two replicas and a liveness probe, so dev mode has something to change.
    /// </summary>
    private TempProject Project(string app, TelepresenceStandIn fake)
    {
        var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              {app}:
                strategy: intercept
                sync:
                  paths:
                    - from: site
                      to: /app
                  onChange:
                    - match: "*.sh"
                      action: restart
                intercept:
                  engine: telepresence
                  telepresence: {fake.Executable}
                  ports: ["8080:http"]
                  workingDirectory: local
                  command: 'echo started; exec sleep 600'
            """);
        project.Write($"k8s/{app}.yaml", ClusterProjectTests.Deployment(app, replicas: 2,
            command: "[sh, -c, \"mkdir -p /app && exec httpd -f -p 8080 -h /app\"]",
            extra: "\n          livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 5}"));
        project.Write("site/index.html", "<h1>prod</h1>\n");
        Directory.CreateDirectory(project.PathOf("local"));
        return project;
    }

    private static PowerShellHost Deployed(TempProject project, string app, IKubernetes client, string ns)
    {
        var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, app, 2, ns);
        return host;
    }

    private static string OriginalAnnotation(IKubernetes client, string ns, string app) =>
        client.AppsV1.ReadNamespacedDeployment(app, ns).Metadata.Annotations["devk8s.io/original"];

    private static async Task<string> ReadInPodAsync(IKubernetes client, string ns, string pod, string path) =>
        (await ExecAsync(client, ns, pod, "main", "sh", "-c", $"cat {path} 2>/dev/null; true")).Trim();

    [SkippableFact]
    public async Task Sync_to_Intercept_and_back_keeps_the_one_recorded_original_and_Stop_restores_it_exactly()
    {
        var client = TestCluster.Require();
        using var fake = new TelepresenceStandIn();
        using var project = Project("sw1", fake);
        using var host = Deployed(project, "sw1", client, ns.Name);
        var prod = TemplateJson(client, ns.Name, "sw1");

        var started = host.Invoke("Start-DevService sw1 -Strategy Sync");
        started.AssertNoErrors();
        var sync = Assert.Single(started.OfType("DevSession"));
        var changes = (string[])sync.Prop("Changes")!;
        Assert.Contains("replicas 2 → 1", changes);
        Assert.Contains("main: command wrapped by the restart supervisor", changes);
        Assert.Contains("main: livenessProbe removed", changes);
        Assert.Equal(3, changes.Length);
        // Any process sees the same list, computed from the workload.
        Assert.Equal(changes, (string[])host.Invoke("Get-DevService sw1").OfType("DevService").Single().Prop("Changes")!);
        var recorded = OriginalAnnotation(client, ns.Name, "sw1");

        var intercept = host.Invoke("Switch-DevStrategy sw1 -Strategy Intercept");
        intercept.AssertNoErrors();
        var session = Assert.Single(intercept.OfType("DevSession"));
        Assert.Equal(("Intercept", "Live"), (session.Str("Strategy"), session.Str("State")));
        Assert.Contains(fake.Calls, c => c.StartsWith("intercept sw1 --port 8080:http"));
        // Telepresence's plan keeps the template: the workload runs its prod template again, still recorded as in dev mode.
        Assert.Equal(prod, TemplateJson(client, ns.Name, "sw1"));
        Assert.Equal(recorded, OriginalAnnotation(client, ns.Name, "sw1"));
        var service = host.Invoke("Get-DevService sw1").OfType("DevService").Single();
        Assert.Equal(("Dev", "Intercept"), (service.Str("Mode"), service.Str("Strategy")));
        Assert.Empty((string[])service.Prop("Changes")!);

        var back = host.Invoke("Get-DevService sw1 | Switch-DevStrategy -Strategy Sync");
        back.AssertNoErrors();
        var resumed = Assert.Single(back.OfType("DevSession"));
        Assert.Equal(("Sync", "Live"), (resumed.Str("Strategy"), resumed.Str("State")));
        Assert.Contains("leave sw1 --output json", fake.Calls);
        Assert.Equal(recorded, OriginalAnnotation(client, ns.Name, "sw1"));
        Assert.Equal(changes, (string[])resumed.Prop("Changes")!);
        var pod = resumed.Str("Pod")!;
        project.Write("site/after-switch.txt", "synced after two switches\n");
        Assert.Equal("synced after two switches", await EventuallyAsync(() => ReadInPodAsync(client, ns.Name, pod, "/app/after-switch.txt"), v => v.Length > 0, seconds: 20));

        host.Invoke("Stop-DevService sw1").AssertNoErrors();
        Assert.Equal(prod, TemplateJson(client, ns.Name, "sw1"));
    }

    [SkippableFact]
    public async Task Equal_plans_switch_without_a_rollout_the_pod_and_its_container_stay()
    {
        var client = TestCluster.Require();
        using var fake = new TelepresenceStandIn();
        using var project = Project("sw2", fake);
        using var host = Deployed(project, "sw2", client, ns.Name);
        var first = host.Invoke("Start-DevService sw2 -Strategy Sync").Single("DevSession");
        var template = TemplateJson(client, ns.Name, "sw2");
        var replicaSets = client.AppsV1.ListNamespacedReplicaSet(ns.Name, labelSelector: "app=sw2").Items.Count;

        var again = host.Invoke("Switch-DevStrategy sw2 -Strategy Sync");
        again.AssertNoErrors();
        var second = Assert.Single(again.OfType("DevSession"));
        Assert.NotEqual(first.Str("SessionId"), second.Str("SessionId"));
        Assert.Equal(first.Str("Pod"), second.Str("Pod"));
        Assert.Equal(template, TemplateJson(client, ns.Name, "sw2"));
        Assert.Equal(replicaSets, client.AppsV1.ListNamespacedReplicaSet(ns.Name, labelSelector: "app=sw2").Items.Count);
        var pod = client.CoreV1.ReadNamespacedPod(second.Str("Pod"), ns.Name);
        Assert.Null(pod.Metadata.DeletionTimestamp);
        Assert.Equal(0, pod.Status.ContainerStatuses.Single().RestartCount);
        // The new loop is the one syncing now.
        project.Write("site/new-loop.txt", "from the second session\n");
        Assert.Equal("from the second session", await EventuallyAsync(() => ReadInPodAsync(client, ns.Name, pod.Metadata.Name, "/app/new-loop.txt"), v => v.Length > 0, seconds: 20));
        host.Invoke("Stop-DevService sw2").AssertNoErrors();
    }

    [SkippableFact]
    public async Task A_switch_whose_new_loop_cannot_start_brings_the_previous_one_back()
    {
        var client = TestCluster.Require();
        using var fake = new TelepresenceStandIn();
        using var project = Project("sw3", fake);
        using var host = Deployed(project, "sw3", client, ns.Name);
        host.Invoke("Start-DevService sw3 -Strategy Sync").AssertNoErrors();
        var syncTemplate = TemplateJson(client, ns.Name, "sw3");
        fake.Set("no-traffic-manager");

        var result = host.Invoke("Switch-DevStrategy sw3 -Strategy Intercept");
        var error = Assert.Single(result.Errors);
        Assert.Equal("DevK8s.TrafficManagerMissing,DevK8s.Cmdlets.SwitchDevStrategyCommand", error.FullyQualifiedErrorId);
        Assert.Contains("switching sw3 to Intercept failed", error.Exception.Message);
        Assert.Contains("Sync is back", error.Exception.Message);
        Assert.Contains("telepresence helm install", error.ErrorDetails.RecommendedAction);

        var session = Assert.Single(host.Invoke("Get-DevSession sw3").OfType("DevSession"));
        Assert.Equal(("Sync", "Live"), (session.Str("Strategy"), session.Str("State")));
        Assert.Equal(syncTemplate, TemplateJson(client, ns.Name, "sw3"));
        Assert.Equal("Sync", host.Invoke("Get-DevService sw3").OfType("DevService").Single().Str("Strategy"));
        project.Write("site/still-syncing.txt", "the Sync loop came back\n");
        Assert.Equal("the Sync loop came back", await EventuallyAsync(() => ReadInPodAsync(client, ns.Name, session.Str("Pod")!, "/app/still-syncing.txt"), v => v.Length > 0, seconds: 20));
        host.Invoke("Stop-DevService sw3").AssertNoErrors();
    }

    [SkippableFact]
    public async Task A_switch_from_another_process_takes_the_session_and_the_first_loop_says_it_stopped()
    {
        var client = TestCluster.Require();
        using var fake = new TelepresenceStandIn();
        using var project = Project("sw4", fake);
        using var host = Deployed(project, "sw4", client, ns.Name);
        var first = host.Invoke("Start-DevService sw4 -Strategy Sync").Single("DevSession");

        using var other = ShellProcess.Start(project.Directory, "Switch-DevStrategy sw4 -Strategy Sync | ForEach-Object SessionId");
        var stdout = other.StandardOutput.ReadToEndAsync();
        var stderr = await other.StandardError.ReadToEndAsync();
        await other.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(other.ExitCode == 0, stderr);
        var theirs = (await stdout).Trim();
        Assert.Matches("^[0-9a-f]{12}$", theirs);

        var mine = await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevSession sw4").OfType("DevSession").Single()), s => s.Str("State") == "Stopped", seconds: 15);
        Assert.Contains($"now driven by session {theirs}", mine.Str("Error"));
        Assert.Equal(first.Str("SessionId"), mine.Str("SessionId"));
        // The cluster side belongs to the other process's session; nothing rolled out (same plan).
        Assert.Equal("Sync", host.Invoke("Get-DevService sw4").OfType("DevService").Single().Str("Strategy"));
        Assert.Equal(first.Str("Pod"), (await RunningPodAsync(client, ns.Name, "sw4")).Metadata.Name);
        host.Invoke("Stop-DevService sw4").AssertNoErrors();
    }

    [SkippableFact]
    public void A_strategy_parameter_that_does_not_apply_names_the_strategy_it_belongs_to()
    {
        using var fake = new TelepresenceStandIn();
        using var project = Project("sw5", fake);
        using var host = new PowerShellHost(project.Directory);
        // From the pipeline the strategy is unknown while binding: every strategy's parameters bind, then the check names the owner.
        var error = Assert.Single(host.Invoke("'sw5' | Start-DevService -Poll").Errors);
        Assert.StartsWith("DevK8s.ParameterNotForStrategy,", error.FullyQualifiedErrorId);
        Assert.Contains("-Poll belongs to the Sync strategy; sw5 starts with Intercept", error.Exception.Message);
        // With the strategy known, only its parameters exist, as Get-Help and tab completion show.
        var unknown = Assert.Single(host.Invoke("Start-DevService sw5 -Strategy Intercept -Poll").Errors);
        Assert.StartsWith("NamedParameterNotFound,", unknown.FullyQualifiedErrorId);
        var parameters = host.Invoke("(Get-Command Start-DevService -ArgumentList @('sw5')).Parameters.Keys").Output.Select(o => o.ToString()).ToList();
        Assert.Contains("EnvFile", parameters); // sw5's default strategy is Intercept
        Assert.DoesNotContain("Poll", parameters);
    }
}
