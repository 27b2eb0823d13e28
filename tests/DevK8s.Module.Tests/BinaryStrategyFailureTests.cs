using System.Management.Automation;
using DevK8s.Tests.Shared;
using k8s;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The Binary strategy when things go wrong, on the real cluster with a busybox image and a small C
/// program built here by a script the tests rewrite: a missing artifact, a build that hangs (Ctrl+C
/// and Stop-DevService kill its whole process tree), and a replaced pod that gets the last good binary.
/// </summary>
public class BinaryStrategyFailureTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private const string Good = "gcc -O1 -static -DVERSION='\"v1\"' -o out/tool tool.c\n";
    private const string Hang = "sleep 600 &\necho $! > out/sleeper.pid\nwait\n";

    private TempProject Project(string app, string artifact = "out/tool")
    {
        var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              {app}:
                binary:
                  build: sh build.sh
                  artifact: {artifact}
                  target: /tmp/tool
                  command: [/tmp/tool]
            """);
        project.Write("tool.c", "#include <stdio.h>\n#include <unistd.h>\nint main(void) { FILE *f = fopen(\"/tmp/ran\", \"w\"); fputs(VERSION, f); fclose(f); pause(); return 0; }\n");
        project.Write("build.sh", Good);
        project.Write(".gitignore", "out/\n");
        Directory.CreateDirectory(project.PathOf("out"));
        project.Write($"k8s/{app}.yaml", ClusterProjectTests.Deployment(app, replicas: 1));
        return project;
    }

    private PowerShellHost Deployed(TempProject project, string app, IKubernetes client)
    {
        var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, app, 1, ns.Name);
        return host;
    }

    private static bool Alive(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z", StringComparison.Ordinal);

    private static async Task<int> SleeperAsync(TempProject project) =>
        int.Parse(await EventuallyAsync(() => Task.FromResult(File.Exists(project.PathOf("out/sleeper.pid")) ? File.ReadAllText(project.PathOf("out/sleeper.pid")).Trim() : ""),
            v => v.Length > 0, seconds: 60));

    [SkippableFact]
    public void An_artifact_missing_after_a_good_build_is_an_error_naming_the_path_and_the_build()
    {
        var client = TestCluster.Require();
        using var project = Project("bf1", artifact: "out/not-what-the-build-writes");
        using var host = Deployed(project, "bf1", client);
        var prod = TemplateJson(client, ns.Name, "bf1");

        var error = Assert.Single(host.Invoke("Start-DevService bf1 -Strategy Binary").Errors);
        Assert.Contains("out/not-what-the-build-writes does not exist", error.Exception.Message);
        Assert.Contains("sh build.sh", error.Exception.Message);
        Assert.Contains("binary.artifact", error.ErrorDetails.RecommendedAction);
        Assert.Equal(prod, TemplateJson(client, ns.Name, "bf1"));
    }

    [SkippableFact]
    public async Task A_hanging_build_dies_with_its_process_tree_on_CtrlC_and_on_Stop_DevService()
    {
        var client = TestCluster.Require();
        using var project = Project("bf2");
        using var host = Deployed(project, "bf2", client);
        var prod = TemplateJson(client, ns.Name, "bf2");

        // Ctrl+C while the first build hangs: the build's grandchild dies and dev mode is rolled back.
        project.Write("build.sh", Hang);
        using (var ps = PowerShell.Create())
        {
            ps.Runspace = host.Runspace;
            ps.AddScript("Start-DevService bf2 -Strategy Binary");
            var running = ps.BeginInvoke();
            var sleeper0 = await SleeperAsync(project);
            Assert.True(Alive(sleeper0));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ps.Stop(); // what Ctrl+C does
            try { ps.EndInvoke(running); } catch (PipelineStoppedException) { }
            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"stopping took {clock.Elapsed}");
            await EventuallyAsync(() => Task.FromResult(Alive(sleeper0)), alive => !alive, seconds: 10);
        }
        Assert.Equal(prod, TemplateJson(client, ns.Name, "bf2"));

        // Live with a good build, then a save whose rebuild hangs: Stop-DevService kills it too.
        File.Delete(project.PathOf("out/sleeper.pid"));
        project.Write("build.sh", Good);
        host.Invoke("Start-DevService bf2 -Strategy Binary").AssertNoErrors();
        project.Write("build.sh", Hang);
        var sleeper = await SleeperAsync(project);
        Assert.True(Alive(sleeper));
        Assert.Equal("True", Assert.Single(host.Invoke("Get-DevSession bf2").OfType("DevSession")).Detail("Building")?.ToString());
        host.Invoke("Stop-DevService bf2").AssertNoErrors();
        await EventuallyAsync(() => Task.FromResult(Alive(sleeper)), alive => !alive, seconds: 10);
        Assert.Equal(prod, TemplateJson(client, ns.Name, "bf2"));
    }

    [SkippableFact]
    public async Task A_replaced_pod_gets_the_last_good_binary_again()
    {
        var client = TestCluster.Require();
        using var project = Project("bf3");
        using var host = Deployed(project, "bf3", client);
        var session = host.Invoke("Start-DevService bf3 -Strategy Binary").Single("DevSession");
        try
        {
            var pod = session.Str("Pod")!;
            Assert.Equal("v1", await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "main", "sh", "-c", "cat /tmp/ran 2>/dev/null; true")).Trim(), v => v == "v1", seconds: 30));
            // A broken build after the good one: the replacement pod must still get v1, the last good.
            project.Write("tool.c", "this is not C\n");
            await EventuallyAsync(() => Task.FromResult(Assert.Single(host.Invoke("Get-DevSession bf3").OfType("DevSession")).Detail("LastOutcome")?.ToString() ?? ""),
                v => v.StartsWith("BuildFailed"), seconds: 60);
            // The compiler's own words reach Watch-DevLog as Build records, and so does the verdict.
            var build = host.Invoke("Watch-DevLog bf3 -Timeout 00:00:03 | Where-Object Source -eq Build").Output.Select(r => r.Properties["Message"].Value.ToString()!).ToList();
            Assert.Contains(build, m => m.Contains("tool.c") && m.Contains("error"));
            Assert.Contains(build, m => m.Contains("failed (exit 1)") && m.Contains("keeps running the last good binary"));

            await client.CoreV1.DeleteNamespacedPodAsync(pod, ns.Name);
            var replacement = await RunningPodAsync(client, ns.Name, "bf3", p => p.Metadata.Name != pod && p.Metadata.DeletionTimestamp is null, seconds: 90);
            Assert.Equal("v1", await EventuallyAsync(async () =>
            {
                try { return (await ExecAsync(client, ns.Name, replacement.Metadata.Name, "main", "sh", "-c", "cat /tmp/ran 2>/dev/null; true")).Trim(); }
                catch (Exception e) when (e is not OutOfMemoryException) { return ""; }
            }, v => v == "v1", seconds: 60));
            Assert.Equal(replacement.Metadata.Name, Assert.Single(host.Invoke("Get-DevSession bf3").OfType("DevSession")).Str("Pod"));
        }
        finally
        {
            host.Invoke("Stop-DevService bf3").AssertNoErrors();
        }
    }

    [SkippableFact]
    public async Task A_pod_replaced_while_a_copy_is_under_way_gets_the_new_binary()
    {
        var client = TestCluster.Require();
        using var project = Project("bf4");
        // 60 MB of random padding: the copy takes seconds, long enough to pull the pod away under it.
        const string Padded = "gcc -O1 -static -DVERSION='\"{0}\"' -o out/tool tool.c && head -c 62914560 /dev/urandom >> out/tool\n";
        project.Write("build.sh", string.Format(Padded, "v1"));
        using var host = Deployed(project, "bf4", client);
        var pod = host.Invoke("Start-DevService bf4 -Strategy Binary").Single("DevSession").Str("Pod")!;
        try
        {
            Assert.Equal("v1", await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "main", "sh", "-c", "cat /tmp/ran 2>/dev/null; true")).Trim(), v => v == "v1", seconds: 30));

            project.Write("build.sh", string.Format(Padded, "v2"));
            await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "main", "sh", "-c", "test -e /tmp/tool.devk8s-new && echo copying; true")).Trim(),
                v => v == "copying", seconds: 60);
            await client.CoreV1.DeleteNamespacedPodAsync(pod, ns.Name, gracePeriodSeconds: 0);

            var replacement = await RunningPodAsync(client, ns.Name, "bf4", p => p.Metadata.Name != pod && p.Metadata.DeletionTimestamp is null, seconds: 90);
            Assert.Equal("v2", await EventuallyAsync(async () =>
            {
                try { return (await ExecAsync(client, ns.Name, replacement.Metadata.Name, "main", "sh", "-c", "cat /tmp/ran 2>/dev/null; true")).Trim(); }
                catch (Exception e) when (e is not OutOfMemoryException) { return ""; }
            }, v => v == "v2", seconds: 90));
            // Nothing half-written is left behind, and the later redeploy of the last good binary did not put v1 back.
            await Task.Delay(3000);
            Assert.Equal("v2|absent", (await ExecAsync(client, ns.Name, replacement.Metadata.Name, "main", "sh", "-c", "printf '%s|' \"$(cat /tmp/ran)\"; test -e /tmp/tool.devk8s-new && echo present || echo absent")).Trim());
        }
        finally
        {
            host.Invoke("Stop-DevService bf4").AssertNoErrors();
        }
    }
}
