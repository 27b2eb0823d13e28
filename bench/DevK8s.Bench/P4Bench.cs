using System.Diagnostics;
using System.Net.Http;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Logs;
using k8s;

namespace DevK8s.Bench;

/// <summary>
/// P4: one line of the sample's catalog changed → the new code answers over HTTP through its
/// Service. The DevK8s Binary loop (the save triggers the build; copy, restart, ready) against the
/// plain image loop after the same build (docker build + push + kubectl set image + rollout status),
/// a 50 MB artifact, and Sync → Binary against Stop + Start. One replica, medians of N runs.
/// </summary>
internal static class P4Bench
{
    public sealed record Result(
        List<double> Build, List<double> BinaryDeploy, List<double> ImageLoop, List<double> Deploy50Mb,
        List<double> Switch, List<double> StopStart, List<long> BytesSent, long BytesSent50Mb);

    private const string Ns = "devk8s-bench-p4";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public static async Task<Result> RunAsync(string work, string kubectl, string kubeconfig, int runs)
    {
        var sample = CopySample(Path.Combine(work, "p4"));
        var result = new Result([], [], [], [], [], [], [], 0);
        TryRun(kubectl, "--kubeconfig", kubeconfig, "create", "namespace", Ns);
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", Ns, "apply", "-f", Path.Combine(sample, "k8s", "catalog.yaml"));
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", Ns, "scale", "deployment/catalog", "--replicas=1");
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", Ns, "rollout", "status", "deployment/catalog", "--timeout=180s");
        // cargo's first build of the copy (its paths differ from the original's) is not part of any figure.
        Run("cargo", "build", "--release", "--manifest-path", Path.Combine(sample, "Cargo.toml"));

        using var target = KubeTarget.Open(new KubeTargetOptions(Namespace: Ns));
        var ip = (await target.Client.CoreV1.ReadNamespacedServiceAsync("catalog", Ns)).Spec.ClusterIP;
        var none = new Dictionary<string, object?>();
        var main = Path.Combine(sample, "services", "catalog", "src", "main.rs");
        var version = "catalog 1";
        void Edit(string next)
        {
            File.WriteAllText(main, File.ReadAllText(main).Replace($"\"{version}\"", $"\"{next}\""));
            version = next;
        }

        // --- DevK8s Binary: save → (watch, build) → copy, restart → first response ------------------
        var project = ConfigLoader.Load(Path.Combine(sample, "devk8s.yaml"));
        var catalog = project.FindService("catalog")!;
        var session = await DevSessions.StartAsync(target, project, catalog, Strategy.Binary, force: true, none, null, CancellationToken.None);
        for (var i = 0; i < runs; i++)
        {
            using var logs = session.Logs.Subscribe(replay: false);
            Edit($"catalog p4 binary {i}");
            var (started, finished) = await BuildTimesAsync(logs.Reader);
            var answered = await FirstResponseAsync(ip, version);
            result.Build.Add((finished - started).TotalMilliseconds);
            result.BinaryDeploy.Add((answered - finished).TotalMilliseconds);
            result.BytesSent.Add(session.LastPush?.BytesSent ?? -1);
            Console.Error.WriteLine($"bench p4: binary run {i}: build {result.Build[^1]:0} ms, deploy {result.BinaryDeploy[^1]:0} ms, {result.BytesSent[^1]} bytes");
            await Task.Delay(1000);
        }

        // --- Sync → Binary in place, against Stop + Start -Strategy Binary (artifact already built) ---
        await DevSessions.SwitchAsync(target, project, catalog, Strategy.Sync, force: false, none, null, CancellationToken.None);
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await DevSessions.SwitchAsync(target, project, catalog, Strategy.Binary, force: false, none, null, CancellationToken.None);
            result.Switch.Add(clock.Elapsed.TotalMilliseconds);
            await DevSessions.SwitchAsync(target, project, catalog, Strategy.Sync, force: false, none, null, CancellationToken.None);
        }
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            await DevSessions.StopAsync(target, catalog, force: false, null, CancellationToken.None);
            await DevSessions.StartAsync(target, project, catalog, Strategy.Binary, force: false, none, null, CancellationToken.None);
            result.StopStart.Add(clock.Elapsed.TotalMilliseconds);
            await DevSessions.StopAsync(target, catalog, force: false, null, CancellationToken.None);
            await DevSessions.StartAsync(target, project, catalog, Strategy.Sync, force: false, none, null, CancellationToken.None);
        }
        Console.Error.WriteLine($"bench p4: switch {string.Join(", ", result.Switch.Select(Stats.Ms))}; stop+start {string.Join(", ", result.StopStart.Select(Stats.Ms))}");

        // --- 50 MB: the same binary padded with random (incompressible) bytes after each build ------
        var config = Path.Combine(sample, "devk8s.yaml");
        File.WriteAllText(config, File.ReadAllText(config)
            .Replace("      build: cargo build --release\n      workingDirectory: .\n      artifact: target/release/catalog",
                "      build: cargo build --release && cp target/release/catalog target/catalog-50mb && head -c 52428800 /dev/urandom >> target/catalog-50mb\n      workingDirectory: .\n      artifact: target/catalog-50mb"));
        var padded = ConfigLoader.Load(config);
        if (padded.FindService("catalog")!.Binary!.Artifact == catalog.Binary!.Artifact) throw new InvalidOperationException("the 50 MB config edit did not apply");
        session = await DevSessions.SwitchAsync(target, padded, padded.FindService("catalog")!, Strategy.Binary, force: false, none, null, CancellationToken.None);
        long bytes50 = 0;
        for (var i = 0; i < runs; i++)
        {
            using var logs = session.Logs.Subscribe(replay: false);
            Edit($"catalog p4 50mb {i}");
            var (_, finished) = await BuildTimesAsync(logs.Reader);
            var answered = await FirstResponseAsync(ip, version);
            result.Deploy50Mb.Add((answered - finished).TotalMilliseconds);
            bytes50 = session.LastPush?.BytesSent ?? -1;
            Console.Error.WriteLine($"bench p4: 50 MB run {i}: deploy {result.Deploy50Mb[^1]:0} ms, {bytes50} bytes");
            await Task.Delay(1000);
        }
        await DevSessions.StopAsync(target, padded.FindService("catalog")!, force: true, null, CancellationToken.None);
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", Ns, "scale", "deployment/catalog", "--replicas=1");
        Run(kubectl, "--kubeconfig", kubeconfig, "-n", Ns, "rollout", "status", "deployment/catalog", "--timeout=180s");

        // --- The image loop a user would type after the same cargo build ---------------------------
        var docker = File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";
        for (var i = 0; i < runs; i++)
        {
            Edit($"catalog p4 image {i}");
            Run("cargo", "build", "--release", "--manifest-path", Path.Combine(sample, "Cargo.toml"));
            var clock = Stopwatch.StartNew();
            var image = $"127.0.0.1:5000/{Ns}/catalog:run-{i}-{Guid.NewGuid().ToString("N")[..6]}";
            Run(docker, ["build", "--quiet", "-f", Path.Combine(sample, "services", "catalog", "Dockerfile"), "-t", image, sample], ("DOCKER_BUILDKIT", "0"));
            Run(docker, "push", image);
            Run(kubectl, "--kubeconfig", kubeconfig, "-n", Ns, "set", "image", "deployment/catalog", $"catalog={image}");
            Run(kubectl, "--kubeconfig", kubeconfig, "-n", Ns, "rollout", "status", "deployment/catalog", "--timeout=180s");
            await FirstResponseAsync(ip, version);
            result.ImageLoop.Add(clock.Elapsed.TotalMilliseconds);
            Console.Error.WriteLine($"bench p4: image loop run {i}: {result.ImageLoop[^1]:0} ms");
        }
        Run(kubectl, "--kubeconfig", kubeconfig, "delete", "namespace", Ns, "--wait=false");
        return result with { BytesSent50Mb = bytes50 };
    }

    /// <summary>The build's start and end, from its own Build log records ("build #n: …", "build #n done in …").</summary>
    private static async Task<(DateTimeOffset Started, DateTimeOffset Finished)> BuildTimesAsync(System.Threading.Channels.ChannelReader<DevLogRecord> logs)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        DateTimeOffset? started = null;
        await foreach (var r in logs.ReadAllAsync(timeout.Token))
        {
            if (r.Source != LogSource.Build || !r.Message.StartsWith("build #", StringComparison.Ordinal)) continue;
            if (r.Message.Contains(" failed", StringComparison.Ordinal)) throw new InvalidOperationException(r.Message);
            if (r.Message.Contains(" done in ", StringComparison.Ordinal)) return (started ?? r.Time, r.Time);
            started ??= r.Time;
        }
        throw new InvalidOperationException("the session's log ended before the build did");
    }

    /// <summary>Polls the Service every 20 ms until it answers with <paramref name="version"/>; returns when it did.</summary>
    private static async Task<DateTimeOffset> FirstResponseAsync(string ip, string version)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await Http.GetStringAsync($"http://{ip}:80/version") == version) return DateTimeOffset.Now;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(20);
        }
        throw new TimeoutException($"catalog did not answer '{version}' within 3 minutes");
    }

    private static string CopySample(string to)
    {
        var source = Path.Combine(Results.RepoRoot(), "examples", "sample");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(source, file);
            if (rel.StartsWith("target" + Path.DirectorySeparatorChar) || rel.Contains("__pycache__")) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, rel))!);
            File.Copy(file, Path.Combine(to, rel));
        }
        var config = Path.Combine(to, "devk8s.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("namespace: devk8s-sample", $"namespace: {Ns}"));
        return to;
    }

    private static void Run(string file, params string[] arguments) => Run(file, arguments, []);

    private static bool TryRun(string file, params string[] arguments)
    {
        try { Run(file, arguments, []); return true; }
        catch (InvalidOperationException) { return false; }
    }

    private static void Run(string file, string[] arguments, params (string Name, string Value)[] env)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)}: {err.Result}");
    }
}

internal static class P4Table
{
    public static void Print(P4Bench.Result r, int runs)
    {
        double M(List<double> v) => Stats.Percentile(v, 50);
        var sent = r.BytesSent.Where(b => b >= 0).OrderBy(b => b).ToList();
        Console.WriteLine($"| P4 (median of {runs}, one-line change in catalog → new answer through the Service) | method | median | runs | sent per redeploy |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| p4_build_ms | `cargo build --release` (workspace, incremental) | {Stats.Ms(M(r.Build))} | {string.Join(", ", r.Build.Select(Stats.Ms))} | - |");
        Console.WriteLine($"| p4_binary_deploy_ms | DevK8s Binary: end of build → first new answer (check, gzip copy, verify, rename, restart, ready) | {Stats.Ms(M(r.BinaryDeploy))} | {string.Join(", ", r.BinaryDeploy.Select(Stats.Ms))} | {(sent.Count == 0 ? "-" : Stats.Bytes(sent[sent.Count / 2]))} |");
        Console.WriteLine($"| p4_image_loop_ms | docker build + docker push + kubectl set image + rollout status: end of build → first new answer | {Stats.Ms(M(r.ImageLoop))} | {string.Join(", ", r.ImageLoop.Select(Stats.Ms))} | image layer |");
        Console.WriteLine($"| p4_deploy_50mb_ms | DevK8s Binary, artifact padded to 50 MB with random bytes | {Stats.Ms(M(r.Deploy50Mb))} | {string.Join(", ", r.Deploy50Mb.Select(Stats.Ms))} | {Stats.Bytes(r.BytesSent50Mb)} |");
        Console.WriteLine($"| switch_sync_binary_ms | Switch-DevStrategy Sync → Binary (artifact built; call → Live) | {Stats.Ms(M(r.Switch))} | {string.Join(", ", r.Switch.Select(Stats.Ms))} | - |");
        Console.WriteLine($"| stop_start_ms | Stop-DevService + Start-DevService -Strategy Binary (call → Live) | {Stats.Ms(M(r.StopStart))} | {string.Join(", ", r.StopStart.Select(Stats.Ms))} | - |");
        Results.Merge(new Dictionary<string, double>
        {
            ["p4_build_ms"] = M(r.Build),
            ["p4_binary_deploy_ms"] = M(r.BinaryDeploy),
            ["p4_image_loop_ms"] = M(r.ImageLoop),
            ["p4_deploy_50mb_ms"] = M(r.Deploy50Mb),
            ["switch_sync_binary_ms"] = M(r.Switch),
            ["stop_start_ms"] = M(r.StopStart),
        });
    }
}
