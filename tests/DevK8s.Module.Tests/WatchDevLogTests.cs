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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = host.Invoke($"Watch-DevLog absent -Timeout {timeout}");
        clock.Stop();
        result.AssertNoErrors();
        Assert.Contains(result.Warnings, w => w.Contains("does not exist"));
        Assert.InRange(clock.Elapsed.TotalSeconds, seconds - 0.1, seconds + 3);
    }
}
