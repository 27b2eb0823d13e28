using System.Diagnostics;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using k8s;

namespace DevK8s.Bench;

/// <summary>
/// P5: a one-line change in the sample's catalog (its VERSION) until the new code answers through
/// the Service and no old pod is left, one replica, medians of the runs. The cargo build is measured
/// once per change and excluded from every side. Sides: the hand loop (docker build, docker push,
/// kubectl set image, kubectl rollout status), DevK8s Image with docker, DevK8s daemonless layers (the new
/// binary on the prod image, which keeps its CMD and ENV);
/// and Sync-DevService when nothing changed (the prebuild's own no-op cargo run included).
/// </summary>
internal static class ImageBench
{
    public sealed record Result(List<double> Hand, List<double> Docker, List<double> Layers, List<double> LayersBytes, List<double> Unchanged, List<double> Cargo);

    // A nonce per bench run: content tags of an earlier run must not turn a change into "unchanged".
    private sealed class Counter { public int Value; public readonly string Run = Guid.NewGuid().ToString("N")[..6]; }

    private const string Registry = "127.0.0.1:5000";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public static async Task<Result> RunAsync(string work, int runs, string kubectl, string kubeconfig)
    {
        var result = new Result([], [], [], [], [], []);
        var sample = CopySample(Path.Combine(work, "sample"));
        var ns = "devk8s-bench-p5";
        using var target = KubeTarget.Open(new KubeTargetOptions(Namespace: ns));
        try { await target.Client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = ns } }); }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict) { }
        // A fresh prod workload: an interrupted earlier run may have left it in dev mode.
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "delete", "deployment/catalog", "--ignore-not-found", "--wait=true");
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "apply", "-f", Path.Combine(sample, "k8s", "catalog.yaml"));
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "scale", "deployment/catalog", "--replicas=1");
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "rollout", "status", "deployment/catalog", "--timeout=180s");
        Console.Error.WriteLine("bench p5: first cargo build of the copy (not measured)");
        Cargo(sample);

        // Both sides build with the same docker and its classic builder (the daemon here has no BuildKit plugin).
        Environment.SetEnvironmentVariable("DOCKER_BUILDKIT", "0");
        var docker = "docker";
        var change = new Counter();
        for (var i = 0; i < runs; i++)
        {
            var version = Edit(sample, $"{change.Run}-{++change.Value}", result);
            var image = $"{Registry}/devk8s-bench/catalog-hand:{change.Run}-{change.Value}";
            var clock = Stopwatch.StartNew();
            Run(docker, "build", "-q", "-f", Path.Combine(sample, "services", "catalog", "Dockerfile"), "-t", image, sample);
            Run(docker, "push", image);
            Run(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "set", "image", "deployment/catalog", $"catalog={image}");
            Run(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "rollout", "status", "deployment/catalog", "--timeout=180s");
            await ServedAsync(target, version);
            result.Hand.Add(clock.Elapsed.TotalMilliseconds);
            Console.Error.WriteLine($"bench p5: hand loop {clock.Elapsed.TotalMilliseconds:0} ms");
        }

        var dockerProject = Project(sample, ns, "docker", $"""
                  repository: {Registry}/devk8s-bench/catalog-dev
                  context: .
                  dockerfile: services/catalog/Dockerfile
            """);
        await MeasureDevK8sAsync(target, dockerProject, sample, runs, change, result, result.Docker, null, "docker");

        var layersProject = Project(sample, ns, "layers", $"""
                  repository: {Registry}/devk8s-bench/catalog-layers
                  base: {Registry}/devk8s-sample/catalog:prod
                  layers: [{"{"}from: target/release/catalog, to: /usr/local/bin/catalog{"}"}]
            """);
        await MeasureDevK8sAsync(target, layersProject, sample, runs, change, result, result.Layers, result.LayersBytes, "layers");

        // Nothing changed: the prebuild runs (cargo finds nothing to do), the tag is the same, nothing is sent.
        var unchangedProject = Project(sample, ns, "unchanged", $"""
                  repository: {Registry}/devk8s-bench/catalog-layers
                  base: {Registry}/devk8s-sample/catalog:prod
                  layers: [{"{"}from: target/release/catalog, to: /usr/local/bin/catalog{"}"}]
                  prebuild: cargo build --release --bin catalog
            """);
        var service = unchangedProject.FindService("catalog")!;
        var none = new Dictionary<string, object?>();
        var session = await DevSessions.StartAsync(target, unchangedProject, service, Strategy.Image, force: true, none, null, CancellationToken.None);
        await session.DisposeAsync(); // the local loop's watcher off: each push below is the whole Sync-DevService work
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            var report = await DevSessions.PushAsync(target, unchangedProject, service, null, CancellationToken.None);
            result.Unchanged.Add(clock.Elapsed.TotalMilliseconds);
            if (!report.Summary.StartsWith("nothing to do", StringComparison.Ordinal)) throw new InvalidOperationException("expected nothing to do: " + report.Summary);
        }
        await DevSessions.StopAsync(target, service, force: true, null, CancellationToken.None);
        return result;
    }

    private static async Task MeasureDevK8sAsync(KubeTarget target, ProjectConfig project, string sample, int runs, Counter change, Result result,
        List<double> times, List<double>? bytes, string name)
    {
        var service = project.FindService("catalog")!;
        var none = new Dictionary<string, object?>();
        Console.Error.WriteLine($"bench p5: entering dev mode ({name})");
        var session = await DevSessions.StartAsync(target, project, service, Strategy.Image, force: true, none, null, CancellationToken.None);
        // The local loop's watcher would race the bench's own cargo build: each change is pushed by
        // Sync-DevService's engine call instead, which is the same build, push and rollout.
        await session.DisposeAsync();
        for (var i = 0; i < runs; i++)
        {
            var version = Edit(sample, $"{change.Run}-{++change.Value}", result);
            var clock = Stopwatch.StartNew();
            var report = await DevSessions.PushAsync(target, project, service, null, CancellationToken.None);
            await ServedAsync(target, version);
            times.Add(clock.Elapsed.TotalMilliseconds);
            bytes?.Add(report.BytesSent);
            Console.Error.WriteLine($"bench p5: {name} {clock.Elapsed.TotalMilliseconds:0} ms, {report.Summary}");
        }
        await DevSessions.StopAsync(target, service, force: true, null, CancellationToken.None);
    }

    /// <summary>A new VERSION in the catalog's source, built by cargo (timed apart, excluded).</summary>
    private static string Edit(string sample, string change, Result result)
    {
        var version = $"catalog bench {change}";
        var main = Path.Combine(sample, "services", "catalog", "src", "main.rs");
        var text = File.ReadAllLines(main).Select(l => l.StartsWith("const VERSION: &str = ", StringComparison.Ordinal) ? $"const VERSION: &str = \"{version}\";" : l);
        File.WriteAllLines(main, text);
        var clock = Stopwatch.StartNew();
        Cargo(sample);
        result.Cargo.Add(clock.Elapsed.TotalMilliseconds);
        return version;
    }

    private static void Cargo(string sample) => Run("cargo", "build", "--release", "--quiet", "--bin", "catalog", "--manifest-path", Path.Combine(sample, "Cargo.toml"));

    /// <summary>Until the Service answers with the new version and every pod left runs the current template.</summary>
    private static async Task ServedAsync(KubeTarget target, string version)
    {
        var ip = (await target.Client.CoreV1.ReadNamespacedServiceAsync("catalog", target.Namespace)).Spec.ClusterIP;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            string body;
            try { body = (await Http.GetStringAsync($"http://{ip}:80/version")).Trim(); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { body = ""; }
            if (body == version)
            {
                var wanted = (await target.Client.AppsV1.ReadNamespacedDeploymentAsync("catalog", target.Namespace)).Spec.Template.Spec.Containers[0].Image;
                var pods = await target.Client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: "app=catalog");
                if (pods.Items.All(p => p.Metadata.DeletionTimestamp is null && p.Spec.Containers[0].Image == wanted)) return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"the Service never answered '{version}' with only new pods left");
    }

    private static ProjectConfig Project(string sample, string ns, string name, string image)
    {
        var file = Path.Combine(sample, $"devk8s.bench-{name}.yaml");
        File.WriteAllText(file, $"namespace: {ns}\nmanifests: [k8s]\nservices:\n  catalog:\n    image:\n{image}\n");
        return ConfigLoader.Load(file);
    }

    private static string CopySample(string to)
    {
        var source = Path.Combine(Results.RepoRoot(), "examples", "sample");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(source, file);
            if (rel.StartsWith("target" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || rel.Contains("__pycache__")) continue;
            var dest = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
        return to;
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["DOCKER_BUILDKIT"] = "0";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}{stdout.Result}");
    }
}
