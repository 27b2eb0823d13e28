using System.Diagnostics;
using DevK8s.Tests.Shared;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>Runs alone, after the parallel tests: it takes the API server away.</summary>
[CollectionDefinition(nameof(ApiServerOutage), DisableParallelization = true)]
public sealed class ApiServerOutage;

[Collection(nameof(ApiServerOutage))]
public class ApiServerOutageTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private static readonly string ClusterDir = Environment.GetEnvironmentVariable("DEVK8S_CLUSTER_DIR") is { Length: > 0 } d ? d : "/var/lib/devk8s-cluster";

    [SkippableFact]
    public async Task Edits_saved_while_the_API_server_is_away_for_a_minute_arrive_afterwards()
    {
        var client = TestCluster.Require();
        using var project = new TempProject($"namespace: {ns.Name}\nmanifests: [k8s]\nservices:\n  outage:\n    sync:\n      paths: [{{from: site, to: /app}}]\n");
        project.Write("site/before.txt", "before\n");
        project.Write("k8s/outage.yaml", ClusterProjectTests.Deployment("outage"));
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "outage", 1, ns.Name);
        var pod = host.Invoke("Start-DevService outage").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            // Stop exactly the API server tests/cluster/up recorded, then start it again the same way.
            var pid = int.Parse(File.ReadAllText(Path.Combine(ClusterDir, "pids", "kube-apiserver.pid")).Trim());
            using (var apiserver = Process.GetProcessById(pid))
            {
                apiserver.Kill();
                apiserver.WaitForExit(30_000);
            }
            var downSince = Stopwatch.StartNew();
            project.Write("site/during.txt", "saved while the API server was away\n");
            File.Delete(project.PathOf("site/before.txt"));
            await Task.Delay(TimeSpan.FromSeconds(60) - downSince.Elapsed);
            Assert.Equal("Reconnecting", host.Invoke("Get-DevSession outage").OfType("DevSession").Single().Str("State"));

            var up = Process.Start(new ProcessStartInfo(Path.Combine(PowerShellHost.RepoRoot, "tests", "cluster", "up")) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var upErr = up.StandardError.ReadToEndAsync();
            await up.WaitForExitAsync();
            Assert.True(up.ExitCode == 0, await upErr);

            var text = await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "main", "sh", "-c", "cat /app/during.txt; test -e /app/before.txt && echo before-still-there; true")).Trim(),
                v => v == "saved while the API server was away", seconds: 60);
            Assert.Equal("saved while the API server was away", text);
            await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevSession outage").OfType("DevSession").Single().Str("State")), s => s == "Live", seconds: 30);
        }
        finally { host.Invoke("Stop-DevService outage"); }
    }
}
