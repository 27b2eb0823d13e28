using System.Diagnostics;
using System.Text;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>Dev mode and the Sync strategy on the real test cluster, through the cmdlets.</summary>
public class DevModeSyncTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private const string Busybox = ClusterProjectTests.Busybox;

    /// <summary>A project whose 'web' serves /app with busybox httpd, with probes dev mode must relax.</summary>
    private const string ServeApp = "mkdir -p /app && exec httpd -f -p 8080 -h /app";

    private TempProject Project(string app, string syncExtra = "", string? image = null, string? command = null)
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
                  exclude: ["*.secret", "cache/"]
            {syncExtra}
            """);
        project.Write($"k8s/{app}.yaml", $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{app}}
            spec:
              replicas: 2
              selector:
                matchLabels:
                  app: {{app}}
              template:
                metadata:
                  labels:
                    app: {{app}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                    - name: web
                      image: {{image ?? Busybox}}
                      imagePullPolicy: Never
                      command: {{command ?? $"[sh, -c, \"{ServeApp}\"]"}}
            {{(command is null ? Probes : "")}}
            """);
        project.Write("site/index.html", "<h1>prod</h1>\n");
        project.Write("site/js/app.js", "console.log('v1')\n");
        project.Write("site/key.secret", "TOPSECRET-never-leaves\n");
        return project;
    }

    private const string Probes = """
                  readinessProbe:
                    tcpSocket:
                      port: 8080
                    periodSeconds: 1
                  livenessProbe:
                    tcpSocket:
                      port: 8080
                    periodSeconds: 5
        """;

    /// <summary>The app's argv inside a command wrapped by the restart supervisor.</summary>
    public static IReadOnlyList<string> SupervisedArgv(IList<string> command)
    {
        Assert.Equal(new[] { "/bin/sh", "-c" }, command.Take(2));
        Assert.Equal("devk8s-supervisor", command[3]);
        Assert.Equal("5", command[4]); // the default TERM-to-KILL grace in seconds
        return command.Skip(5).ToList();
    }

    private static PowerShellHost Deployed(TempProject project, string app, IKubernetes client, string ns)
    {
        var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, app, 2, ns);
        return host;
    }

    [SkippableFact]
    public async Task Start_syncs_by_content_then_Stop_restores_the_spec_byte_for_byte()
    {
        var client = TestCluster.Require();
        using var project = Project("web1");
        using var host = Deployed(project, "web1", client, ns.Name);
        var before = TemplateJson(client, ns.Name, "web1");

        var started = host.Invoke("Start-DevService web1 -PassThru");
        started.AssertNoErrors();
        var session = Assert.Single(started.OfType("DevSession"));
        Assert.Equal(("Sync", "Live", ns.Name), (session.Str("Strategy"), session.Str("State"), session.Str("Namespace")));
        var initial = Assert.Single(started.OfType("DevSyncResult"));
        Assert.Equal(2, (int)initial.Prop("FilesSent")!); // index.html, js/app.js; the .secret never leaves
        var pod = session.Str("Pod")!;

        Assert.Equal("<h1>prod</h1>\n", await ExecAsync(client, ns.Name, pod, "web", "cat", "/app/index.html"));
        Assert.Equal("console.log('v1')\n", await ExecAsync(client, ns.Name, pod, "web", "cat", "/app/js/app.js"));
        Assert.Equal("absent", (await ExecAsync(client, ns.Name, pod, "web", "sh", "-c", "test -e /app/key.secret && echo present || echo absent")).Trim());

        var dev = client.AppsV1.ReadNamespacedDeployment("web1", ns.Name);
        Assert.Equal(1, dev.Spec.Replicas);
        Assert.Null(dev.Spec.Template.Spec.Containers[0].LivenessProbe);
        Assert.NotNull(dev.Spec.Template.Spec.Containers[0].ReadinessProbe);
        Assert.Contains("devk8s.io/original", dev.Metadata.Annotations.Keys);
        var mode = Assert.Single(host.Invoke("Get-DevService web1").OfType("DevService"));
        Assert.Equal(("Dev", "Sync"), (mode.Str("Mode"), mode.Str("Strategy")));
        Assert.Equal(Environment.UserName + "@" + Environment.MachineName, mode.Str("Owner"));

        host.Invoke("Stop-DevService web1").AssertNoErrors();
        Assert.Equal(before, TemplateJson(client, ns.Name, "web1"));
        var restored = client.AppsV1.ReadNamespacedDeployment("web1", ns.Name);
        Assert.DoesNotContain("devk8s.io/original", restored.Metadata.Annotations?.Keys ?? []);
        Assert.DoesNotContain("devk8s.io/session", restored.Metadata.Annotations?.Keys ?? []);
        Assert.Empty(host.Invoke("Get-DevSession web1").Output);
    }

    [SkippableFact]
    public async Task Changes_reach_the_container_deletes_renames_new_folders_empty_files_and_odd_names()
    {
        var client = TestCluster.Require();
        using var project = Project("web2");
        using var host = Deployed(project, "web2", client, ns.Name);
        var pod = host.Invoke("Start-DevService web2").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            async Task<string> Remote(string script) => (await ExecAsync(client, ns.Name, pod, "web", "sh", "-c", script)).Trim();

            project.Write("site/index.html", "<h1>dev</h1>\n");
            await EventuallyAsync(() => Remote("cat /app/index.html"), v => v == "<h1>dev</h1>");

            File.Delete(project.PathOf("site/js/app.js"));
            await EventuallyAsync(() => Remote("test -e /app/js/app.js && echo yes || echo no"), v => v == "no");

            project.Write("site/a.txt", "rename me\n");
            await EventuallyAsync(() => Remote("cat /app/a.txt 2>/dev/null"), v => v == "rename me");
            File.Move(project.PathOf("site/a.txt"), project.PathOf("site/b.txt"));
            await EventuallyAsync(() => Remote("test -e /app/a.txt && echo old; cat /app/b.txt"), v => v == "rename me");

            Directory.CreateDirectory(project.PathOf("site/new/deeper"));
            project.Write("site/new/deeper/x.css", "body{}\n");
            File.WriteAllText(project.PathOf("site/new/empty.txt"), "");
            project.Write("site/with space ü.txt", "unicode ✓\n");
            await EventuallyAsync(() => Remote("cat /app/new/deeper/x.css; wc -c < /app/new/empty.txt; cat '/app/with space ü.txt'"),
                v => v.Replace(" ", "") == "body{}\n0\nunicode✓");

            Directory.Move(project.PathOf("site/new"), project.PathOf("site/moved"));
            await EventuallyAsync(() => Remote("test -d /app/new && echo old; cat /app/moved/deeper/x.css"), v => v == "body{}");

            project.Write("site/more.secret", "never\n");
            project.Write("site/cache/blob.bin", "cached\n");
            project.Write("site/marker.txt", "after secrets\n");
            await EventuallyAsync(() => Remote("cat /app/marker.txt"), v => v == "after secrets");
            Assert.Equal("", await Remote("ls /app/more.secret /app/cache 2>/dev/null; true"));
        }
        finally { host.Invoke("Stop-DevService web2"); }
    }

    [SkippableFact]
    public async Task A_large_file_arrives_intact()
    {
        var client = TestCluster.Require();
        using var project = Project("web3");
        using var host = Deployed(project, "web3", client, ns.Name);
        var pod = host.Invoke("Start-DevService web3").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            var data = new byte[100 * 1024 * 1024];
            new Random(42).NextBytes(data);
            await File.WriteAllBytesAsync(project.PathOf("site/big.bin"), data);
            var expected = Convert.ToHexString(System.Security.Cryptography.MD5.HashData(data)).ToLowerInvariant();
            var actual = await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "web", "sh", "-c", "md5sum /app/big.bin 2>/dev/null | cut -c1-32")).Trim(),
                v => v == expected, seconds: 120);
            Assert.Equal(expected, actual);
        }
        finally { host.Invoke("Stop-DevService web3"); }
    }

    [SkippableFact]
    public async Task Initial_sync_sends_only_what_differs_and_removes_only_in_scope_leftovers()
    {
        var client = TestCluster.Require();
        using var project = Project("web4");
        for (var i = 0; i < 300; i++) project.Write($"site/many/f{i:000}.txt", $"file {i}\n");
        using var host = Deployed(project, "web4", client, ns.Name);
        var pod = host.Invoke("Start-DevService web4").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            await ExecAsync(client, ns.Name, pod, "web", "sh", "-c", "echo stale > /app/stale.txt; mkdir -p /app/cache; echo keep > /app/cache/c; echo x > /app/x.secret");
            project.Write("site/many/f007.txt", "changed\n");
            // Sync-DevService compares by content: one changed file, one stale file.
            var result = Assert.Single(host.Invoke("Sync-DevService web4").OfType("DevSyncResult"));
            Assert.Equal((1, 1), ((int)result.Prop("FilesSent")!, (int)result.Prop("FilesDeleted")!));
            Assert.True((long)result.Prop("Bytes")! < 4096, $"sent {result.Prop("Bytes")} bytes for one small file");
            Assert.Equal("changed\nkeep\nx", (await ExecAsync(client, ns.Name, pod, "web", "sh", "-c", "cat /app/many/f007.txt /app/cache/c /app/x.secret; test -e /app/stale.txt && echo stale; true")).Trim());
        }
        finally { host.Invoke("Stop-DevService web4"); }
    }

    [SkippableFact]
    public async Task The_dev_pod_is_replaced_and_the_session_resyncs_including_edits_made_meanwhile()
    {
        var client = TestCluster.Require();
        using var project = Project("web5");
        using var host = Deployed(project, "web5", client, ns.Name);
        var pod = host.Invoke("Start-DevService web5").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            await client.CoreV1.DeleteNamespacedPodAsync(pod, ns.Name, new V1DeleteOptions { GracePeriodSeconds = 0 });
            project.Write("site/while-away.txt", "saved while the pod was gone\n");
            var replacement = await RunningPodAsync(client, ns.Name, "web5", p => p.Metadata.Name != pod);
            var text = await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, replacement.Metadata.Name, "web", "sh", "-c", "cat /app/while-away.txt /app/index.html 2>/dev/null; true")).Trim(),
                v => v == "saved while the pod was gone\n<h1>prod</h1>", seconds: 60);
            project.Write("site/after.txt", "after\n");
            await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, replacement.Metadata.Name, "web", "sh", "-c", "cat /app/after.txt 2>/dev/null; true")).Trim(), v => v == "after");
            Assert.Equal(replacement.Metadata.Name, host.Invoke("Get-DevSession web5").OfType("DevSession").Single().Str("Pod"));
        }
        finally { host.Invoke("Stop-DevService web5"); }
    }

    [SkippableFact]
    public async Task OnChange_restart_restarts_the_process_under_the_sh_supervisor()
    {
        var client = TestCluster.Require();
        using var project = Project("web6", syncExtra: "      onChange:\n        - match: \"*.conf\"\n          action: restart\n        - match: \"*.txt\"\n          action: run\n          command: echo ran >> /tmp/hook.log\n");
        using var host = Deployed(project, "web6", client, ns.Name);
        var pod = host.Invoke("Start-DevService web6").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            var command = client.AppsV1.ReadNamespacedDeployment("web6", ns.Name).Spec.Template.Spec.Containers[0].Command;
            Assert.Equal(new[] { "sh", "-c", ServeApp }, SupervisedArgv(command));
            var pid1 = (await ExecAsync(client, ns.Name, pod, "web", "cat", "/tmp/.devk8s/pid")).Trim();
            project.Write("site/app.conf", "x=1\n");
            var pid2 = await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "web", "cat", "/tmp/.devk8s/pid")).Trim(), p => p != pid1 && p.Length > 0);
            Assert.NotEqual(pid1, pid2);
            project.Write("site/notes.txt", "n\n");
            await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "web", "sh", "-c", "cat /tmp/hook.log 2>/dev/null; true")).Trim(), v => v == "ran");
            // The process restarted inside the container: the same pod, and the container itself never restarted.
            Assert.Equal(pod, host.Invoke("Get-DevSession web6").OfType("DevSession").Single().Str("Pod"));
            var status = (await client.CoreV1.ReadNamespacedPodAsync(pod, ns.Name)).Status.ContainerStatuses.Single(c => c.Name == "web");
            Assert.Equal(0, status.RestartCount);
        }
        finally { host.Invoke("Stop-DevService web6"); }
    }

    /// <summary>The supervisor in a real pod: a restart ends the process's whole group, so a server it started in the background frees its port for the next run.</summary>
    [SkippableFact]
    public async Task A_restart_ends_what_the_process_started_in_the_background_so_its_port_is_free()
    {
        var client = TestCluster.Require();
        using var project = Project("web12", syncExtra: "      onChange:\n        - match: \"*.conf\"\n          action: restart\n",
            command: $"[sh, -c, \"httpd -f -p 9090 -h /tmp & {ServeApp}\"]");
        using var host = Deployed(project, "web12", client, ns.Name);
        var pod = host.Invoke("Start-DevService web12").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            async Task<string> Pid() => (await ExecAsync(client, ns.Name, pod, "web", "cat", "/tmp/.devk8s/pid")).Trim();
            // The process group of every background server on 9090, comma-separated (the supervisor's own
            // args contain that command line too, so only lines whose command is httpd count).
            async Task<string> Servers() => string.Join(',', (await ExecAsync(client, ns.Name, pod, "web", "ps", "-o", "pgid,args")).Split('\n')
                .Select(l => l.Trim().Split(' ', 2)).Where(f => f.Length == 2 && f[1].StartsWith("httpd -f -p 9090")).Select(f => f[0]));
            var pid1 = await Pid();
            Assert.Equal(pid1, await EventuallyAsync(Servers, s => s == pid1));

            project.Write("site/app.conf", "x=1\n");
            var pid2 = await EventuallyAsync(Pid, p => p != pid1 && p.Length > 0);
            // One server, in the new run's group: the old one is gone and the new one could bind 9090.
            Assert.Equal(pid2, await EventuallyAsync(Servers, s => s == pid2, seconds: 15));
        }
        finally { host.Invoke("Stop-DevService web12"); }
    }

    [SkippableFact]
    public void Someone_elses_session_is_refused_with_who_and_since_and_Force_takes_it_over()
    {
        var client = TestCluster.Require();
        using var project = Project("web7");
        using var host = Deployed(project, "web7", client, ns.Name);
        var session = """{"owner":"bob@other-laptop","sessionId":"x1","strategy":"Sync","startedAt":"2026-11-24T09:30:00+00:00"}""";
        var original = client.AppsV1.ReadNamespacedDeployment("web7", ns.Name);
        var patch = new V1Patch(new { metadata = new { annotations = new Dictionary<string, string> { ["devk8s.io/session"] = session, ["devk8s.io/original"] = KubernetesJson.Serialize(new { replicas = original.Spec.Replicas, template = original.Spec.Template }) } } }, V1Patch.PatchType.MergePatch);
        client.AppsV1.PatchNamespacedDeployment(patch, "web7", ns.Name);
        // Bob's process is alive: it renews the session's Lease (without one, the session would be stale).
        client.CoordinationV1.CreateNamespacedLease(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "devk8s-deployment-web7", Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "devk8s" } },
            Spec = new V1LeaseSpec { HolderIdentity = "bob@other-laptop/x1", LeaseDurationSeconds = 600, AcquireTime = DateTime.UtcNow, RenewTime = DateTime.UtcNow },
        }, ns.Name);

        var refused = host.Invoke("Start-DevService web7");
        var error = Assert.Single(refused.Errors);
        Assert.StartsWith("DevK8s.DevModeOwned,", error.FullyQualifiedErrorId);
        Assert.Contains("bob@other-laptop since 2026-11-24 09:30:00Z", error.Exception.Message);
        Assert.Contains("-Force", error.ErrorDetails.RecommendedAction);
        Assert.Single(host.Invoke("Stop-DevService web7").Errors);

        var taken = host.Invoke("Start-DevService web7 -Force");
        taken.AssertNoErrors();
        Assert.Equal(Environment.UserName + "@" + System.Net.Dns.GetHostName(), host.Invoke("Get-DevService web7").OfType("DevService").Single().Str("Owner"));
        host.Invoke("Stop-DevService web7").AssertNoErrors();
        Assert.Equal(2, client.AppsV1.ReadNamespacedDeployment("web7", ns.Name).Spec.Replicas);
    }

    [SkippableFact]
    public void WhatIf_leaves_the_workload_untouched()
    {
        var client = TestCluster.Require();
        using var project = Project("web8");
        using var host = Deployed(project, "web8", client, ns.Name);
        var before = TemplateJson(client, ns.Name, "web8");
        var result = host.Invoke("Start-DevService web8 -WhatIf");
        result.AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.Equal(before, TemplateJson(client, ns.Name, "web8"));
    }

    [SkippableFact]
    public void An_image_without_a_shell_is_refused_naming_the_image_and_the_Image_strategy()
    {
        var client = TestCluster.Require();
        using var project = Project("noshell", image: "devk8s-base/pause:3.2", command: "[/pause]");
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        var before = TemplateJson(client, ns.Name, "noshell");
        RunningPodAsync(client, ns.Name, "noshell", p => true).Wait();
        var error = Assert.Single(host.Invoke("Start-DevService noshell").Errors);
        Assert.StartsWith("DevK8s.DevModeFailed,", error.FullyQualifiedErrorId);
        Assert.Contains("devk8s-base/pause:3.2", error.Exception.Message);
        Assert.Contains("-Strategy Image", error.ErrorDetails.RecommendedAction);
        Assert.Equal(before, TemplateJson(client, ns.Name, "noshell"));
    }

    [SkippableFact]
    public async Task Stop_works_from_another_process_after_the_starting_process_was_killed()
    {
        var client = TestCluster.Require();
        using var project = Project("web9");
        using var host = Deployed(project, "web9", client, ns.Name);
        var before = TemplateJson(client, ns.Name, "web9");

        using var starter = ShellProcess.Start(project.Directory, "Start-DevService web9; Start-Sleep -Seconds 600");
        try
        {
            await EventuallyAsync(() => Task.FromResult(host.Invoke("Get-DevService web9").OfType("DevService").Single().Str("Mode")), m => m == "Dev", seconds: 90);
            await EventuallyAsync(() => Task.FromResult(client.AppsV1.ReadNamespacedDeployment("web9", ns.Name).Status.ReadyReplicas), r => r == 1, seconds: 60);
        }
        finally
        {
            starter.Kill(entireProcessTree: true); // exactly the process this test started
            starter.WaitForExit();
        }
        Assert.NotEqual(before, TemplateJson(client, ns.Name, "web9"));

        var stop = ShellProcess.Start(project.Directory, "Stop-DevService web9");
        var stderr = await stop.StandardError.ReadToEndAsync();
        await stop.WaitForExitAsync();
        Assert.True(stop.ExitCode == 0, stderr);
        Assert.Equal(before, TemplateJson(client, ns.Name, "web9"));
        Assert.Equal("Prod", host.Invoke("Get-DevService web9").OfType("DevService").Single().Str("Mode"));
    }

    [SkippableFact]
    public async Task Poll_finds_changes_without_file_events()
    {
        var client = TestCluster.Require();
        using var project = Project("web11");
        using var host = Deployed(project, "web11", client, ns.Name);
        var pod = host.Invoke("Start-DevService web11 -Poll").OfType("DevSession").Single().Str("Pod")!;
        try
        {
            project.Write("site/polled.txt", "found by polling\n");
            File.Delete(project.PathOf("site/js/app.js"));
            var text = await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "web", "sh", "-c", "cat /app/polled.txt 2>/dev/null; test -e /app/js/app.js && echo still-there; true")).Trim(),
                v => v == "found by polling", seconds: 15);
            Assert.Equal("found by polling", text);
        }
        finally { host.Invoke("Stop-DevService web11"); }
    }

    [SkippableFact]
    public void Watch_DevLog_merges_pod_logs_and_sync_events()
    {
        var client = TestCluster.Require();
        // The container says one line when it starts, so the dev pod has a log to merge.
        using var project = Project("web10", command: $"[sh, -c, \"echo serving $HOSTNAME; {ServeApp}\"]");
        using var host = Deployed(project, "web10", client, ns.Name);
        var records = host.Invoke("Start-DevService web10 | Watch-DevLog -Timeout 4").OfType("DevLogRecord");
        var pod = host.Invoke("Get-DevSession web10").OfType("DevSession").Single().Str("Pod");
        Assert.Contains(records, r => r.Str("Source") == "Sync" && r.Str("Message")!.StartsWith("initial: 2 sent"));
        Assert.Contains(records, r => r.Str("Source") == "Cluster" && r.Str("Pod") == pod && r.Str("Message") == $"serving {pod}");
        host.Invoke("Stop-DevService web10").AssertNoErrors();
    }
}
