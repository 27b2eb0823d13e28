using System.Diagnostics;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The Image strategy on the real cluster and its registry (127.0.0.1:5000): build with docker,
/// push, roll out by digest with probes kept; a content tag that skips build and push; the
/// daemonless path pushing to the registry the cluster publishes (KEP-1755); and each kind of failed
/// rollout detected and rolled back to the last good dev image.
/// </summary>
public class ImageStrategyTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private static readonly string DigestPattern = "@sha256:[0-9a-f]{64}$";

    /// <summary>
    /// The app's image decides what it does: /app/run.sh if the image has one, else httpd serving /app.
    /// Prod runs plain busybox (no /app). Probes on port 8080, so a dev image that does not serve is never ready.
    /// </summary>
    private static string Deployment(string app, string resources = "") => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: {{app}}, labels: { app: {{app}} } }
        spec:
          replicas: 2
          selector: { matchLabels: { app: {{app}} } }
          template:
            metadata: { labels: { app: {{app}} } }
            spec:
              terminationGracePeriodSeconds: 1
              containers:
                - name: main
                  image: {{ClusterProjectTests.Busybox}}
                  imagePullPolicy: IfNotPresent
                  command: [sh, -c, "mkdir -p /app; if [ -f /app/run.sh ]; then exec sh /app/run.sh; fi; exec httpd -f -p 8080 -h /app"]
                  ports: [{name: http, containerPort: 8080}]
                  readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
                  livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 10}{{resources}}
        """;

    private TempProject DockerProject(string app, string? extra = null)
    {
        var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              {app}:
                image:
                  repository: 127.0.0.1:5000/devk8s-test/{app}-{ns.Name}
                  context: app
                  rolloutTimeoutSeconds: 20{extra}
            """);
        project.Write($"k8s/{app}.yaml", Deployment(app));
        project.Write("app/Dockerfile", $"FROM {ClusterProjectTests.Busybox}\nCOPY site /app\n");
        project.Write("app/.dockerignore", "*.tmp\n");
        project.Write("app/site/index.html", "<h1>dev 1</h1>\n");
        return project;
    }

    private static PowerShellHost Deployed(TempProject project, string app, IKubernetes client, string ns)
    {
        var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, app, 2, ns);
        return host;
    }

    private static V1Container Container(IKubernetes client, string ns, string app) =>
        client.AppsV1.ReadNamespacedDeployment(app, ns).Spec.Template.Spec.Containers.Single();

    private static async Task<string> ServedAsync(IKubernetes client, string ns, string app)
    {
        var pod = await RunningPodAsync(client, ns, app, p => p.Spec.Containers[0].Image.Contains("@sha256:"));
        return (await ExecAsync(client, ns, pod.Metadata.Name, "main", "wget", "-qO-", "http://127.0.0.1:8080/index.html")).Trim();
    }

    [SkippableFact]
    public async Task Builds_pushes_and_rolls_out_by_digest_with_probes_kept_a_save_rebuilds_in_place_and_an_unchanged_input_skips_everything()
    {
        var client = TestCluster.Require();
        using var project = DockerProject("img1");
        using var host = Deployed(project, "img1", client, ns.Name);
        var prod = TemplateJson(client, ns.Name, "img1");

        var started = host.Invoke("Start-DevService img1 -Strategy Image");
        started.AssertNoErrors();
        var session = Assert.Single(started.OfType("DevSession"));
        Assert.Equal(("Image", "Live"), (session.Str("Strategy"), session.Str("State")));
        var first = Container(client, ns.Name, "img1");
        Assert.Matches($"^127\\.0\\.0\\.1:5000/devk8s-test/img1-{ns.Name}{DigestPattern}", first.Image);
        // The prod-parity loop: probes and command as in prod, one replica.
        Assert.NotNull(first.LivenessProbe);
        Assert.NotNull(first.ReadinessProbe);
        Assert.Equal(1, client.AppsV1.ReadNamespacedDeployment("img1", ns.Name).Spec.Replicas);
        Assert.Contains((string[])session.Prop("Changes")!, c => c.StartsWith("main: image → 127.0.0.1:5000/devk8s-test/img1"));
        Assert.Equal("<h1>dev 1</h1>", await ServedAsync(client, ns.Name, "img1"));
        var original = client.AppsV1.ReadNamespacedDeployment("img1", ns.Name).Metadata.Annotations["devk8s.io/original"];

        // A save under the context rebuilds and rolls the new digest out in place.
        project.Write("app/site/index.html", "<h1>dev 2</h1>\n");
        var second = await EventuallyAsync(() => Task.FromResult(Container(client, ns.Name, "img1").Image), i => i != first.Image, seconds: 60);
        Assert.Matches(DigestPattern, second);
        Assert.Equal("<h1>dev 2</h1>", await EventuallyAsync(() => ServedAsync(client, ns.Name, "img1"), b => b.Contains("dev 2"), seconds: 60));
        Assert.Equal(original, client.AppsV1.ReadNamespacedDeployment("img1", ns.Name).Metadata.Annotations["devk8s.io/original"]);

        // Unchanged input (a file .dockerignore leaves out does not count): no build, no push, no rollout.
        project.Write("app/notes.tmp", "left out by .dockerignore\n");
        await Task.Delay(1500); // let the watcher's rebuild of this save finish: it must find nothing to do too
        var before = Assert.Single(host.Invoke("Get-DevSession img1").OfType("DevSession"));
        var builds = (int)before.Detail("Builds")!;
        var replicaSets = client.AppsV1.ListNamespacedReplicaSet(ns.Name, labelSelector: "app=img1").Items.Count;
        var clock = Stopwatch.StartNew();
        var pushed = host.Invoke("Sync-DevService img1");
        clock.Stop();
        pushed.AssertNoErrors();
        var report = Assert.Single(pushed.OfType("DevPushResult"));
        Assert.StartsWith("nothing to do", report.Str("Summary"));
        Assert.Equal(0L, (long)report.Prop("Bytes")!);
        var after = Assert.Single(host.Invoke("Get-DevSession img1").OfType("DevSession"));
        Assert.Equal(builds, (int)after.Detail("Builds")!);
        Assert.Equal(second, Container(client, ns.Name, "img1").Image);
        Assert.Equal(replicaSets, client.AppsV1.ListNamespacedReplicaSet(ns.Name, labelSelector: "app=img1").Items.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"an unchanged input took {clock.Elapsed.TotalMilliseconds:0} ms");

        host.Invoke("Stop-DevService img1").AssertNoErrors();
        Assert.Equal(prod, TemplateJson(client, ns.Name, "img1"));
    }

    [SkippableFact]
    public async Task A_rebuild_that_crashes_or_never_gets_ready_is_detected_and_rolled_back_to_the_last_good_dev_image()
    {
        var client = TestCluster.Require();
        using var project = DockerProject("img2");
        using var host = Deployed(project, "img2", client, ns.Name);
        host.Invoke("Start-DevService img2 -Strategy Image").AssertNoErrors();
        var good = Container(client, ns.Name, "img2").Image;
        var goodPod = (await RunningPodAsync(client, ns.Name, "img2", p => p.Spec.Containers[0].Image == good)).Metadata.Name;

        // A crash: the container exits 3 after saying why.
        project.Write("app/site/run.sh", "echo 'boom: config missing'; exit 3\n");
        var crashed = host.Invoke("Sync-DevService img2");
        var error = Assert.Single(crashed.Errors);
        Assert.Equal("DevK8s.RolloutFailed,DevK8s.Cmdlets.SyncDevServiceCommand", error.FullyQualifiedErrorId);
        Assert.Contains("exit code 3", error.Exception.Message);
        Assert.Contains("boom: config missing", error.Exception.Message);
        Assert.Contains($"Rolled back to the last good dev image {good}", error.Exception.Message);
        Assert.Equal(good, Container(client, ns.Name, "img2").Image);
        Assert.Equal("<h1>dev 1</h1>", await ServedAsync(client, ns.Name, "img2"));
        Assert.Equal(goodPod, (await RunningPodAsync(client, ns.Name, "img2")).Metadata.Name);

        // Never ready: serves on the wrong port, so the readiness probe on 8080 never passes (deadline 20 s).
        project.Write("app/site/run.sh", "echo 'listening on 9090'; exec httpd -f -p 9090 -h /app\n");
        var clock = Stopwatch.StartNew();
        var late = host.Invoke("Sync-DevService img2");
        var lateError = Assert.Single(late.Errors);
        Assert.Equal("DevK8s.RolloutFailed,DevK8s.Cmdlets.SyncDevServiceCommand", lateError.FullyQualifiedErrorId);
        Assert.Contains("no pod of the new template became ready within 20s", lateError.Exception.Message);
        Assert.Contains("listening on 9090", lateError.Exception.Message);
        Assert.Contains("main runs but its readiness probe (TCP connect to port 8080) has not passed", lateError.Exception.Message);
        Assert.Contains("rolloutTimeoutSeconds", lateError.ErrorDetails.RecommendedAction);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Equal(good, Container(client, ns.Name, "img2").Image);
        Assert.Equal(goodPod, (await RunningPodAsync(client, ns.Name, "img2")).Metadata.Name);
        // The watcher saw the same saves: it may have tried first, but never rolls out an image that failed again.
        Assert.InRange((int)Assert.Single(host.Invoke("Get-DevSession img2").OfType("DevSession")).Detail("Rollbacks")!, 2, 3);

        // A build that fails leaves the pod alone and shows the builder's own words.
        project.Write("app/Dockerfile", $"FROM {ClusterProjectTests.Busybox}\nRUN echo 'compiler says no' && exit 7\n");
        var failed = host.Invoke("Sync-DevService img2");
        var buildError = Assert.Single(failed.Errors);
        Assert.Equal("DevK8s.BuildFailed,DevK8s.Cmdlets.SyncDevServiceCommand", buildError.FullyQualifiedErrorId);
        Assert.Contains("compiler says no", buildError.Exception.Message);
        Assert.Equal(good, Container(client, ns.Name, "img2").Image);
        Assert.Equal(goodPod, (await RunningPodAsync(client, ns.Name, "img2")).Metadata.Name);
        host.Invoke("Stop-DevService img2").AssertNoErrors();
    }

    [SkippableFact]
    public async Task A_rebuild_that_runs_out_of_memory_is_reported_as_OOMKilled_with_the_limit_and_rolled_back()
    {
        var client = TestCluster.Require();
        using var project = DockerProject("img9");
        project.Write("k8s/img9.yaml", Deployment("img9", "\n          resources: {limits: {memory: 64Mi}}"));
        using var host = Deployed(project, "img9", client, ns.Name);
        host.Invoke("Start-DevService img9 -Strategy Image").AssertNoErrors();
        var good = Container(client, ns.Name, "img9").Image;
        var goodPod = (await RunningPodAsync(client, ns.Name, "img9", p => p.Spec.Containers[0].Image == good)).Metadata.Name;

        // 200 MB for dd's buffer under a 64 MiB limit: the kernel kills it (what the kubelet reports as OOMKilled).
        project.Write("app/site/run.sh", "echo 'loading the whole catalog into memory'; exec dd if=/dev/zero of=/dev/null bs=200M count=1\n");
        var result = host.Invoke("Sync-DevService img9");
        var error = Assert.Single(result.Errors);
        Assert.Equal("DevK8s.RolloutFailed,DevK8s.Cmdlets.SyncDevServiceCommand", error.FullyQualifiedErrorId);
        Assert.Contains("OOMKilled", error.Exception.Message);
        Assert.Contains("64Mi", error.Exception.Message);
        Assert.Contains("loading the whole catalog into memory", error.Exception.Message);
        Assert.Contains($"Rolled back to the last good dev image {good}", error.Exception.Message);
        Assert.Contains("memory limit", error.ErrorDetails.RecommendedAction);
        Assert.Equal(good, Container(client, ns.Name, "img9").Image);
        Assert.Equal(goodPod, (await RunningPodAsync(client, ns.Name, "img9")).Metadata.Name);
        Assert.Equal("<h1>dev 1</h1>", await ServedAsync(client, ns.Name, "img9"));
        host.Invoke("Stop-DevService img9").AssertNoErrors();
    }

    /// <summary>The daemonless path, with no repository configured: the cluster's published registry (KEP-1755).</summary>
    private TempProject LayersProject(string app, string? repository = null)
    {
        var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              {app}:
                image:
                  base: 127.0.0.1:5000/devk8s-base/busybox:1
                  layers:
                    - from: site
                      to: /app
                  rolloutTimeoutSeconds: 30{(repository is null ? "" : $"\n      repository: {repository}")}
            """);
        project.Write($"k8s/{app}.yaml", Deployment(app));
        project.Write("site/index.html", "<h1>layers 1</h1>\n");
        return project;
    }

    [SkippableFact]
    public async Task Daemonless_layers_go_to_the_registry_the_cluster_publishes_and_a_change_pushes_only_the_new_layer()
    {
        var client = TestCluster.Require();
        using var project = LayersProject("img3");
        using var host = Deployed(project, "img3", client, ns.Name);

        host.Invoke("Start-DevService img3 -Strategy Image").AssertNoErrors();
        var first = Container(client, ns.Name, "img3").Image;
        // No repository in devk8s.yaml: the registry from kube-public/local-registry-hosting, by its hostFromContainerRuntime.
        Assert.Matches($"^127\\.0\\.0\\.1:5000/devk8s/[a-z0-9-]+/img3{DigestPattern}", first);
        Assert.Equal("<h1>layers 1</h1>", await ServedAsync(client, ns.Name, "img3"));

        project.Write("site/index.html", "<h1>layers 2</h1>\n");
        var pushed = host.Invoke("Sync-DevService img3");
        pushed.AssertNoErrors();
        var report = Assert.Single(pushed.OfType("DevPushResult"));
        var bytes = (long)report.Prop("Bytes")!;
        // The new layer (a few hundred bytes compressed), its config and manifest; busybox's own layer (~1 MB) is never sent again.
        Assert.InRange(bytes, 1, 8_000);
        Assert.Contains("daemonless", report.Str("Summary"));
        Assert.NotEqual(first, Container(client, ns.Name, "img3").Image);
        Assert.Equal("<h1>layers 2</h1>", await ServedAsync(client, ns.Name, "img3"));
        host.Invoke("Stop-DevService img3").AssertNoErrors();
    }

    [SkippableFact]
    public void An_image_the_node_cannot_pull_is_detected_fast_the_original_comes_back_and_the_error_points_at_KEP_1755()
    {
        var client = TestCluster.Require();
        using var blind = new NodeBlindRegistry();
        // This machine pushes to that registry; the node cannot pull from it.
        using var project = LayersProject("img4", repository: $"{blind.Host}/devk8s-test/img4-{ns.Name}");
        using var host = Deployed(project, "img4", client, ns.Name);
        var prod = TemplateJson(client, ns.Name, "img4");

        var clock = Stopwatch.StartNew();
        var result = host.Invoke("Start-DevService img4 -Strategy Image");
        clock.Stop();
        var error = Assert.Single(result.Errors);
        Assert.Equal("DevK8s.RolloutFailed,DevK8s.Cmdlets.StartDevServiceCommand", error.FullyQualifiedErrorId);
        Assert.Contains($"the node cannot pull {blind.Host}/devk8s-test/img4-{ns.Name}@sha256:", error.Exception.Message);
        Assert.Contains("local-registry-hosting (KEP-1755)", error.ErrorDetails.RecommendedAction);
        Assert.True(blind.Refused > 0, "the node never tried to pull");
        // Detected from the pod's status, well before the 30 s deadline.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(prod, TemplateJson(client, ns.Name, "img4"));
        Assert.Equal("Prod", host.Invoke("Get-DevService img4").OfType("DevService").Single().Str("Mode"));
    }

    /// <summary>
    /// Daemonless, with a sync section too; the context (what the local loop watches) is an empty
    /// folder, so the test's own edits under site/ reach the cluster only through its explicit calls.
    /// </summary>
    private TempProject QuietProject(string app)
    {
        var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              {app}:
                image:
                  context: quiet
                  base: 127.0.0.1:5000/devk8s-base/busybox:1
                  layers:
                    - from: site
                      to: /app
                  rolloutTimeoutSeconds: 30
                sync:
                  paths:
                    - from: site
                      to: /app
            """);
        project.Write($"k8s/{app}.yaml", Deployment(app));
        project.Write("site/index.html", "<h1>quiet 1</h1>\n");
        project.Write("quiet/README", "nothing to build here\n");
        return project;
    }

    [SkippableFact]
    public async Task Ctrl_C_during_a_rollout_leaves_the_last_good_dev_image_never_a_half_rolled_workload()
    {
        var client = TestCluster.Require();
        using var project = QuietProject("img5");
        using var host = Deployed(project, "img5", client, ns.Name);
        host.Invoke("Start-DevService img5 -Strategy Image").AssertNoErrors();
        var good = Container(client, ns.Name, "img5").Image;

        // Never ready (serves on another port): the rollout waits for readiness when Ctrl+C comes.
        project.Write("site/run.sh", "exec httpd -f -p 9090 -h /app\n");
        var (state, _) = host.InvokeAndStop("Sync-DevService img5", TimeSpan.FromSeconds(6));
        Assert.Equal(System.Management.Automation.PSInvocationState.Stopped, state);
        Assert.Equal(good, Container(client, ns.Name, "img5").Image);
        var pods = await EventuallyAsync(async () => (await client.CoreV1.ListNamespacedPodAsync(ns.Name, labelSelector: "app=img5")).Items,
            // The never-ready pod goes once the template is back; a loaded node can take a while to tear its sandbox down.
            items => items.All(p => p.Spec.Containers[0].Image == good && p.Metadata.DeletionTimestamp is null), seconds: 90);
        Assert.Single(pods);
        Assert.Equal("<h1>quiet 1</h1>", await ServedAsync(client, ns.Name, "img5"));
        host.Invoke("Stop-DevService img5").AssertNoErrors();
    }

    [SkippableFact]
    public async Task Switch_DevStrategy_goes_from_Image_to_Sync_and_back_on_the_one_recorded_original()
    {
        var client = TestCluster.Require();
        using var project = QuietProject("img6");
        using var host = Deployed(project, "img6", client, ns.Name);
        var prod = TemplateJson(client, ns.Name, "img6");

        host.Invoke("Start-DevService img6 -Strategy Image").AssertNoErrors();
        var image = Container(client, ns.Name, "img6").Image;
        Assert.Matches(DigestPattern, image);
        var recorded = client.AppsV1.ReadNamespacedDeployment("img6", ns.Name).Metadata.Annotations["devk8s.io/original"];

        var sync = host.Invoke("Switch-DevStrategy img6 -Strategy Sync");
        sync.AssertNoErrors();
        Assert.Equal(("Sync", "Live"), (Assert.Single(sync.OfType("DevSession")).Str("Strategy"), Assert.Single(sync.OfType("DevSession")).Str("State")));
        // Sync's template comes from the original: the prod image again, liveness probe relaxed.
        var synced = Container(client, ns.Name, "img6");
        Assert.Equal(ClusterProjectTests.Busybox, synced.Image);
        Assert.Null(synced.LivenessProbe);
        Assert.Equal(recorded, client.AppsV1.ReadNamespacedDeployment("img6", ns.Name).Metadata.Annotations["devk8s.io/original"]);

        var back = host.Invoke("Switch-DevStrategy img6 -Strategy Image");
        back.AssertNoErrors();
        Assert.Equal("Image", Assert.Single(back.OfType("DevSession")).Str("Strategy"));
        // Unchanged input: the same digest, found in the registry, nothing built.
        Assert.Equal(image, Container(client, ns.Name, "img6").Image);
        Assert.NotNull(Container(client, ns.Name, "img6").LivenessProbe);
        Assert.Equal("<h1>quiet 1</h1>", await ServedAsync(client, ns.Name, "img6"));
        Assert.Equal(recorded, client.AppsV1.ReadNamespacedDeployment("img6", ns.Name).Metadata.Annotations["devk8s.io/original"]);

        host.Invoke("Stop-DevService img6").AssertNoErrors();
        Assert.Equal(prod, TemplateJson(client, ns.Name, "img6"));
    }

    [SkippableFact]
    public void A_missing_builder_or_an_unreachable_registry_fails_before_the_workload_changes_with_what_to_do()
    {
        var client = TestCluster.Require();
        using var project = DockerProject("img7", "\n      builder: podman");
        using var host = Deployed(project, "img7", client, ns.Name);
        var prod = TemplateJson(client, ns.Name, "img7");

        var noBuilder = Assert.Single(host.Invoke("Start-DevService img7 -Strategy Image").Errors);
        Assert.Equal("DevK8s.BuilderNotFound,DevK8s.Cmdlets.StartDevServiceCommand", noBuilder.FullyQualifiedErrorId);
        Assert.Contains("the image builder 'podman'", noBuilder.Exception.Message);
        Assert.Contains("Test-DevEnvironment", noBuilder.ErrorDetails.RecommendedAction);
        Assert.Equal(prod, TemplateJson(client, ns.Name, "img7"));

        // Nothing listens on port 1: the registry client's own words, and the template untouched.
        project.Write("devk8s.yaml", File.ReadAllText(project.PathOf("devk8s.yaml"))
            .Replace("      builder: podman", "").Replace("127.0.0.1:5000/devk8s-test/", "127.0.0.1:1/devk8s-test/"));
        var unreachable = Assert.Single(host.Invoke("Start-DevService img7 -Strategy Image").Errors);
        Assert.Equal("DevK8s.PushFailed,DevK8s.Cmdlets.StartDevServiceCommand", unreachable.FullyQualifiedErrorId);
        Assert.Contains("the registry 127.0.0.1:1 cannot be used", unreachable.Exception.Message);
        Assert.False(string.IsNullOrEmpty(unreachable.ErrorDetails.RecommendedAction));
        Assert.Equal(prod, TemplateJson(client, ns.Name, "img7"));
        Assert.Equal("Prod", host.Invoke("Get-DevService img7").OfType("DevService").Single().Str("Mode"));
    }

    [SkippableFact]
    public void Ctrl_C_during_the_build_stops_the_builder_at_once_and_the_workload_never_changes()
    {
        var client = TestCluster.Require();
        using var project = DockerProject("img8");
        using var host = Deployed(project, "img8", client, ns.Name);
        var prod = TemplateJson(client, ns.Name, "img8");
        var marker = $"devk8s-slow-build-{Guid.NewGuid():N}";
        project.Write("app/Dockerfile", $"FROM {ClusterProjectTests.Busybox}\nRUN echo {marker} && sleep 120\nCOPY site /app\n");

        var (state, stopTook) = host.InvokeAndStop("Start-DevService img8 -Strategy Image", TimeSpan.FromSeconds(5));
        Assert.Equal(System.Management.Automation.PSInvocationState.Stopped, state);
        Assert.True(stopTook < TimeSpan.FromSeconds(10), $"Ctrl+C took {stopTook}");
        Assert.Equal(prod, TemplateJson(client, ns.Name, "img8"));
        Assert.Equal("Prod", host.Invoke("Get-DevService img8").OfType("DevService").Single().Str("Mode"));
        // The builder's process tree is gone: no docker client of this build is left running.
        var left = Process.GetProcesses().Where(p =>
        {
            try { return File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(project.PathOf("app")); }
            catch (Exception) { return false; }
        }).ToList();
        Assert.Empty(left);
    }
}
