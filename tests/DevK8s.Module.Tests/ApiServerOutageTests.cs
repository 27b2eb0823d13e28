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

    /// <summary>Stops exactly the API server tests/cluster/up recorded.</summary>
    private static void StopApiServer()
    {
        var pid = int.Parse(File.ReadAllText(Path.Combine(ClusterDir, "pids", "kube-apiserver.pid")).Trim());
        using var apiserver = Process.GetProcessById(pid);
        apiserver.Kill();
        apiserver.WaitForExit(30_000);
    }

    /// <summary>Starts it again the way tests/cluster/up does.</summary>
    private static async Task StartApiServerAsync()
    {
        var up = Process.Start(new ProcessStartInfo(Path.Combine(PowerShellHost.RepoRoot, "tests", "cluster", "up")) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var upErr = up.StandardError.ReadToEndAsync();
        await up.StandardOutput.ReadToEndAsync();
        await up.WaitForExitAsync();
        Assert.True(up.ExitCode == 0, await upErr);
    }

    [SkippableFact]
    public async Task The_builtin_intercept_relay_comes_back_after_the_API_server_was_away_for_a_minute()
    {
        var client = TestCluster.Require();
        var token = "token-" + Guid.NewGuid().ToString("N")[..8];
        var intercepts = new BuiltinInterceptTests(ns);
        using var project = intercepts.ProjectFor(token);
        using var host = BuiltinInterceptTests.Deployed(project, client, ns.Name);
        host.Invoke("Start-DevService api -Strategy Intercept").AssertNoErrors();
        Assert.Equal(token, await EventuallyAsync(() => intercepts.FromClientAsync(client, "http://api/token"), r => r == token, seconds: 30));
        var down = false;
        try
        {
            StopApiServer();
            down = true;
            var downSince = Stopwatch.StartNew();
            // The link ran through the API server: it is gone, and the client keeps trying.
            await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevSession api").OfType("DevSession").Single().Str("State")), s => s == "Reconnecting", seconds: 30);
            await Task.Delay(TimeSpan.FromSeconds(60) - downSince.Elapsed);
            Assert.Equal("Reconnecting", host.Invoke("Get-DevSession api").OfType("DevSession").Single().Str("State"));
            down = false;
            await StartApiServerAsync();

            await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevSession api").OfType("DevSession").Single()),
                s => s.Str("State") == "Live" && s.Detail("RelayConnections") is int n && n >= 2, seconds: 60);
            // New requests reach the local process again, and it reaches the cluster again.
            Assert.Equal(token, await EventuallyAsync(() => intercepts.FromClientAsync(client, "http://api/token"), r => r == token, seconds: 60));
            Assert.Equal("other-ok", await intercepts.FromClientAsync(client, "http://api/outbound"));
        }
        finally
        {
            // A failed assertion must not leave the cluster without its API server for the tests after this one.
            if (down) await StartApiServerAsync();
            host.Invoke("Stop-DevService api -Force");
        }
    }

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
        var down = false;
        try
        {
            StopApiServer();
            down = true;
            var downSince = Stopwatch.StartNew();
            project.Write("site/during.txt", "saved while the API server was away\n");
            File.Delete(project.PathOf("site/before.txt"));
            await Task.Delay(TimeSpan.FromSeconds(60) - downSince.Elapsed);
            Assert.Equal("Reconnecting", host.Invoke("Get-DevSession outage").OfType("DevSession").Single().Str("State"));

            down = false;
            await StartApiServerAsync();

            var text = await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "main", "sh", "-c", "cat /app/during.txt; test -e /app/before.txt && echo before-still-there; true")).Trim(),
                v => v == "saved while the API server was away", seconds: 60);
            Assert.Equal("saved while the API server was away", text);
            await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevSession outage").OfType("DevSession").Single().Str("State")), s => s == "Live", seconds: 30);
        }
        finally
        {
            if (down) await StartApiServerAsync();
            host.Invoke("Stop-DevService outage");
        }
    }
}
