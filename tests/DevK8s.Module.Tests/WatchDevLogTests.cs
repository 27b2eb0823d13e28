using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;

namespace DevK8s.Module.Tests;

/// <summary>Watch-DevLog on services in prod mode: long follows, pods that appear later, restarts.</summary>
public class WatchDevLogTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private static string Deployment(string name, string script) =>
        ClusterProjectTests.Deployment(name, command: $"[sh, -c, '{script}']");

    [SkippableFact]
    public async Task Follows_for_longer_than_100_seconds_across_new_pods_and_container_restarts()
    {
        var client = TestCluster.Require();
        using var project = new TempProject($"namespace: {ns.Name}\nmanifests: [k8s]\nservices:\n  ticker:\n  crasher:\n");
        project.Write("k8s/ticker.yaml", Deployment("ticker", "i=0; while true; do echo \"tick $i $HOSTNAME\"; i=$((i+1)); sleep 2; done"));
        project.Write("k8s/crasher.yaml", Deployment("crasher", "echo \"run $(cat /proc/uptime)\"; sleep 3; exit 1"));
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "ticker", 1, ns.Name);

        var started = DateTimeOffset.Now;
        var scale = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
            var patch = new V1Patch(new { spec = new { replicas = 2 } }, V1Patch.PatchType.MergePatch);
            await client.AppsV1.PatchNamespacedDeploymentAsync(patch, "ticker", ns.Name);
        });
        var result = host.Invoke("Watch-DevLog -Tail 0 -Timeout 112");
        await scale;
        result.AssertNoErrors();
        var records = result.OfType("DevLogRecord");

        var ticks = records.Where(r => r.Str("Service") == "ticker" && r.Str("Message")!.StartsWith("tick ")).ToList();
        Assert.Contains(ticks, r => (DateTimeOffset)r.Prop("Time")! > started.AddSeconds(100));
        Assert.Equal(2, ticks.Select(r => r.Str("Pod")).Distinct().Count());
        Assert.All(ticks, r => Assert.Equal(("Cluster", "main"), (r.Str("Source"), r.Str("Container"))));
        // One line per container start: more than one means restarts were followed.
        var runs = records.Where(r => r.Str("Service") == "crasher" && r.Str("Message")!.StartsWith("run ")).Select(r => r.Str("Message")).Distinct().ToList();
        Assert.True(runs.Count >= 2, $"crasher runs seen: {runs.Count}");
    }

    /// <summary>-Timeout is seconds, as in Wait-Job; a TimeSpan parameter would read 2 as two ticks and end at once.</summary>
    [SkippableTheory]
    [InlineData("2", 2.0)]
    [InlineData("1.5", 1.5)]
    [InlineData("'00:00:02'", 2.0)]
    [InlineData("([TimeSpan]::FromSeconds(2))", 2.0)]
    public void Timeout_is_in_seconds(string timeout, double seconds)
    {
        TestCluster.Require();
        // A service whose workload is not deployed: nothing to follow, so the watch lasts exactly the timeout.
        using var project = new TempProject($"namespace: {ns.Name}\nmanifests: [k8s]\nservices:\n  absent:\n");
        project.Write("k8s/absent.yaml", ClusterProjectTests.Deployment("absent")); // never deployed
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Watch-DevLog absent -Timeout 0").AssertNoErrors(); // loads the engine, so the clock below measures the watch
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = host.Invoke($"Watch-DevLog absent -Timeout {timeout}");
        clock.Stop();
        result.AssertNoErrors();
        Assert.Contains(result.Warnings, w => w.Contains("does not exist"));
        // The claim is the lower bound (a TimeSpan parameter would end at once); the upper one leaves room for a loaded machine.
        Assert.InRange(clock.Elapsed.TotalSeconds, seconds - 0.1, seconds + 4);
    }

    /// <summary>
    /// A user who may list pods but not read their logs: Watch-DevLog says so as a warning record
    /// instead of showing nothing. Runs devk8s-shell as that user (a ServiceAccount token in its own
    /// kubeconfig), since the hosted engine shares this process's KUBECONFIG with other tests.
    /// </summary>
    [SkippableFact]
    public async Task A_user_without_pods_log_gets_a_warning_record_naming_the_permission()
    {
        var client = TestCluster.Require();
        using var project = new TempProject($"namespace: {ns.Name}\nmanifests: [k8s]\nservices:\n  talker:\n");
        project.Write("k8s/talker.yaml", Deployment("talker", "while true; do echo talking; sleep 1; done"));
        using (var admin = new PowerShellHost(project.Directory)) admin.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "talker", 1, ns.Name);

        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "no-logs" } }, ns.Name);
        await client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "no-logs" },
            Rules =
            [
                new V1PolicyRule { ApiGroups = ["apps"], Resources = ["deployments", "statefulsets"], Verbs = ["get", "list"] },
                new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list"] },
            ],
        }, ns.Name);
        await client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "no-logs" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "no-logs" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "no-logs", NamespaceProperty = ns.Name }],
        }, ns.Name);
        // Kubernetes 1.20 creates the token Secret of a ServiceAccount by itself.
        var secretName = await ClusterHelpers.EventuallyAsync(async () => (await client.CoreV1.ReadNamespacedServiceAccountAsync("no-logs", ns.Name)).Secrets?.FirstOrDefault()?.Name ?? "", n => n.Length > 0);
        var token = System.Text.Encoding.UTF8.GetString((await client.CoreV1.ReadNamespacedSecretAsync(secretName, ns.Name)).Data["token"]);
        var server = KubernetesClientConfiguration.BuildConfigFromConfigFile(TestCluster.KubeconfigPath).Host;
        var kubeconfig = project.PathOf("no-logs.kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: test, cluster: {"{"}server: '{server}', insecure-skip-tls-verify: true{"}"}{"}"}]
            users: [{"{"}name: no-logs, user: {"{"}token: '{token}'{"}"}{"}"}]
            contexts: [{"{"}name: no-logs, context: {"{"}cluster: test, user: no-logs, namespace: {ns.Name}{"}"}{"}"}]
            current-context: no-logs
            """);

        using var run = ShellProcess.Start(project.Directory, "Watch-DevLog talker -Timeout 5 | ForEach-Object { $_.Stream + '|' + $_.Message }",
            new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig });
        var stdout = run.StandardOutput.ReadToEndAsync();
        var stderr = run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var warning = Assert.Single(lines, l => l.StartsWith("warning|"));
        Assert.Contains("cannot read the logs of talker-", warning);
        Assert.Contains("HTTP 403", warning);
        Assert.Contains("'get' on pods/log", warning);
        Assert.DoesNotContain(lines, l => l.StartsWith("stdout|"));
        Assert.Equal(0, run.ExitCode);
        _ = await stderr;
    }
}
