using System.Diagnostics;
using System.Text;
using DevK8s.Bench;
using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;
using DevK8s.Engine.Sync;
using k8s;
using k8s.Models;

// bench: P1 save -> readable, P2 initial sync with one changed file, P3 memory and idle CPU,
// P4 the Binary loop against the image loop on the sample's catalog.
// Usage: dotnet run -c Release --project bench/DevK8s.Bench [-- --edits 50 --files 10000 --idle-files 100000 --runs 5 --only switch|p4]
var options = Args.Parse(args);
if (options.IdleChild is { } idleRoot) return await IdleChild.RunAsync(idleRoot, options);

var kubeconfig = Environment.GetEnvironmentVariable("DEVK8S_TEST_KUBECONFIG") is { Length: > 0 } k ? k : "/var/lib/devk8s-cluster/kubeconfig";
Environment.SetEnvironmentVariable("KUBECONFIG", kubeconfig);
var kubectl = DevK8s.Engine.Local.ExecutableFinder.Find("kubectl");
var work = Directory.CreateTempSubdirectory("devk8s-bench-").FullName;
Console.Error.WriteLine($"bench: work folder {work}, kubeconfig {kubeconfig}, kubectl {kubectl ?? "not found"}");

// cargo (P4's build) is where rustup puts it, also for shells that did not source ~/.cargo/env.
var cargoBin = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cargo", "bin");
if (Directory.Exists(cargoBin) && !(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Contains(cargoBin))
    Environment.SetEnvironmentVariable("PATH", Environment.GetEnvironmentVariable("PATH") + ":" + cargoBin);

if (options.Only == "p4")
{
    var p4 = await P4Bench.RunAsync(work, kubectl ?? throw new InvalidOperationException("P4 compares against kubectl: install kubectl (bench/run does)"), kubeconfig, options.Runs);
    P4Table.Print(p4, options.Runs);
    Directory.Delete(work, recursive: true);
    return 0;
}

if (options.Only == "p7")
{
    var p7 = await P7Bench.RunAsync(work, kubeconfig, kubectl);
    Results.Merge(p7);
    PrintP7(p7);
    Directory.Delete(work, recursive: true);
    return 0;
}

if (options.Only == "switch")
{
    var sw = await SwitchBench.RunAsync(work, 3);
    PrintSwitch(sw);
    Directory.Delete(work, recursive: true);
    return 0;
}

if (options.Only == "p5")
{
    if (kubectl is null) throw new InvalidOperationException("P5's hand loop needs kubectl (bench/run installs it)");
    var p5 = await ImageBench.RunAsync(work, 5, kubectl, kubeconfig);
    Results.Merge(P5Figures(p5));
    PrintP5(p5);
    Directory.Delete(work, recursive: true);
    return 0;
}

var ns = "devk8s-bench";
using var target = KubeTarget.Open(new KubeTargetOptions(Namespace: ns));
var project = await Setup.ProjectAsync(target, work, options.Files);
var service = project.FindService("bench")!;
var rows = new List<string[]>();
var figures = new Dictionary<string, double>();

// --- P2 first: the full initial sync is also "copy the whole tree" through DevK8s' channel ---
var session = await DevSessions.StartAsync(target, project, service, Strategy.Sync, force: true, new Dictionary<string, object?>(), null, CancellationToken.None);
var full = session.LastPush!.Sync!;
Console.Error.WriteLine($"bench: dev mode live in {session.Pod}; initial sync {full.FilesSent} files, {full.BytesSent} bytes, {full.Duration.TotalMilliseconds:0} ms");

// --- P1: save -> new bytes readable in the container ---------------------------------------
await using (var probe = await Probe.OpenAsync(target, session.Pod!))
{
    var file = Path.Combine(work, "site", "d000", "f000.txt");
    var devk8s = new List<double>();
    for (var i = 0; i < options.Edits; i++)
    {
        var token = $"devk8s-edit-{i}-{Guid.NewGuid():N}";
        devk8s.Add(await probe.TimeAsync(token, () => File.WriteAllText(file, token + "\n")));
        await Task.Delay(100);
    }
    var plain = new List<double>();
    if (kubectl is not null)
    {
        var scratch = Path.Combine(work, "kubectl-cp.txt");
        for (var i = 0; i < options.Edits; i++)
        {
            var token = $"kubectl-edit-{i}-{Guid.NewGuid():N}";
            File.WriteAllText(scratch, token + "\n");
            plain.Add(await probe.TimeAsync(token, () => Run(kubectl, "--kubeconfig", kubeconfig, "cp", scratch, $"{ns}/{session.Pod}:/app/d000/f001.txt", "-c", "web")));
        }
    }
    figures["p1_devk8s_p50_ms"] = Stats.Percentile(devk8s, 50);
    figures["p1_devk8s_p95_ms"] = Stats.Percentile(devk8s, 95);
    if (plain.Count > 0) figures["p1_kubectl_cp_p50_ms"] = Stats.Percentile(plain, 50);
    rows.Add(["P1 save → readable (1 small file, 10k-file tree)", $"DevK8s Sync ({options.Edits} edits)", Stats.Ms(Stats.Percentile(devk8s, 50)), Stats.Ms(Stats.Percentile(devk8s, 95)), "-"]);
    if (plain.Count > 0)
        rows.Add(["", $"kubectl cp ({options.Edits} copies)", Stats.Ms(Stats.Percentile(plain, 50)), Stats.Ms(Stats.Percentile(plain, 95)), "-"]);
}

// --- P2: start over against a container that differs in one file ------------------------------
await session.DisposeAsync(); // local side only: the workload stays in dev mode with the synced tree
File.AppendAllText(Path.Combine(work, "site", "d050", "f050.txt"), "one change\n");
var stopwatch = Stopwatch.StartNew();
var one = (await DevSessions.PushAsync(target, project, service, null, CancellationToken.None)).Sync!;
stopwatch.Stop();
figures["p2_compare_ms"] = stopwatch.Elapsed.TotalMilliseconds;
figures["p2_full_copy_ms"] = full.Duration.TotalMilliseconds;
rows.Add(["P2 initial sync, 1 of 10k files differs", "DevK8s content compare", Stats.Ms(stopwatch.Elapsed.TotalMilliseconds), "-", $"{Stats.Bytes(one.BytesSent)} ({one.FilesSent} file)"]);
rows.Add(["", "DevK8s full copy (whole tree, gzip)", Stats.Ms(full.Duration.TotalMilliseconds), "-", $"{Stats.Bytes(full.BytesSent)} ({full.FilesSent} files)"]);
if (kubectl is not null)
{
    var pod = (await new DevModeController(target, service).FindDevPodAsync(session.Record.SessionId, CancellationToken.None))!.Name;
    var copy = Stopwatch.StartNew();
    Run(kubectl, "--kubeconfig", kubeconfig, "cp", Path.Combine(work, "site"), $"{ns}/{pod}:/tmp/kubectl-copy", "-c", "web");
    copy.Stop();
    var treeBytes = Directory.EnumerateFiles(Path.Combine(work, "site"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
    rows.Add(["", "kubectl cp -r (whole tree, tar)", Stats.Ms(copy.Elapsed.TotalMilliseconds), "-", $"≥ {Stats.Bytes(treeBytes)} (all files)"]);
}

// --- Switch: Sync → Intercept in place, against Stop + Start ---------------------------------
var switched = await SwitchBench.RunAsync(work, 3);

// --- P3: a session watching a 100k-file tree, in a process of its own ------------------------
var idle = await IdleChild.MeasureAsync(work, options);
figures["p3_idle_mb"] = idle.WorkingSetMb;
figures["p3_idle_cpu_percent"] = idle.CpuPercent;
Results.Merge(figures);
rows.Add([$"P3 idle session, {options.IdleFiles / 1000}k-file tree", "working set after start / CPU over 30 s idle", $"{idle.WorkingSetMb:0} MB", $"{idle.CpuPercent:0.00} % CPU", $"native events: {idle.Native}"]);

Console.WriteLine($"DevK8s benchmarks — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, Kubernetes {(await target.Client.Version.GetCodeAsync()).GitVersion} (tests/cluster)");
Console.WriteLine();
Console.WriteLine("| benchmark | method | p50 / time | p95 | sent |");
Console.WriteLine("|---|---|---|---|---|");
foreach (var r in rows) Console.WriteLine($"| {string.Join(" | ", r)} |");
Console.WriteLine();
PrintSwitch(switched);
if (kubectl is not null)
{
    Console.WriteLine();
    P4Table.Print(await P4Bench.RunAsync(work, kubectl, kubeconfig, options.Runs), options.Runs);
}

await DevSessions.StopAsync(target, service, force: true, null, CancellationToken.None);
Directory.Delete(work, recursive: true);
return 0;

static Dictionary<string, double> P5Figures(ImageBench.Result r) => new()
{
    ["p5_hand_loop_ms"] = Stats.Percentile(r.Hand, 50),
    ["p5_image_docker_ms"] = Stats.Percentile(r.Docker, 50),
    ["p5_image_layers_ms"] = Stats.Percentile(r.Layers, 50),
    ["p5_layers_bytes_pushed"] = Stats.Percentile(r.LayersBytes, 50),
    ["p5_unchanged_ms"] = Stats.Percentile(r.Unchanged, 50),
};

static void PrintP5(ImageBench.Result r)
{
    Console.WriteLine($"| P5 one-line change in catalog → answered through the Service, no old pod (median of {r.Hand.Count}; cargo build {Stats.Ms(Stats.Percentile(r.Cargo, 50))} excluded) | method | median | runs | pushed |");
    Console.WriteLine("|---|---|---|---|---|");
    Console.WriteLine($"| | hand loop: docker build + push + kubectl set image + rollout status | {Stats.Ms(Stats.Percentile(r.Hand, 50))} | {string.Join(", ", r.Hand.Select(Stats.Ms))} | - |");
    Console.WriteLine($"| | DevK8s Image, docker | {Stats.Ms(Stats.Percentile(r.Docker, 50))} | {string.Join(", ", r.Docker.Select(Stats.Ms))} | - |");
    Console.WriteLine($"| | DevK8s Image, daemonless layers | {Stats.Ms(Stats.Percentile(r.Layers, 50))} | {string.Join(", ", r.Layers.Select(Stats.Ms))} | {Stats.Bytes((long)Stats.Percentile(r.LayersBytes, 50))} |");
    Console.WriteLine($"| | Sync-DevService, nothing changed (prebuild no-op included) | {Stats.Ms(Stats.Percentile(r.Unchanged, 50))} | {string.Join(", ", r.Unchanged.Select(Stats.Ms))} | 0 B |");
}

static void PrintP7(IReadOnlyDictionary<string, double> f)
{
    string V(string key, string unit) => f.TryGetValue(key, out var v) ? $"{v:0.##} {unit}" : "-";
    Console.WriteLine("| P7 (client pod → Service, same python3 server) | p50 | p99 | requests/s (8 clients, 10 s) | 50 MB body |");
    Console.WriteLine("|---|---|---|---|---|");
    Console.WriteLine($"| direct to the prod pod (floor) | {V("p7_direct_p50_ms", "ms")} | {V("p7_direct_p99_ms", "ms")} | - | - |");
    Console.WriteLine($"| builtin intercept → local process | {V("p7_intercept_p50_ms", "ms")} | {V("p7_intercept_p99_ms", "ms")} | {V("p7_intercept_rps", "req/s")} | {V("p7_intercept_mb_s", "MB/s")} |");
    Console.WriteLine($"| outbound: local → target Service via DevK8s listener | {V("p7_outbound_p50_ms", "ms")} | - | - | {V("p7_outbound_mb_s", "MB/s")} |");
    Console.WriteLine($"| outbound: local → target pod via kubectl port-forward | {V("p7_portforward_p50_ms", "ms")} | - | - | {V("p7_portforward_mb_s", "MB/s")} |");
    Console.WriteLine($"| outbound: local → target pod via DevK8s's WebSocket port-forward alone, no relay (the link's transport) | {V("p7_ws_portforward_p50_ms", "ms")} | - | - | {V("p7_ws_portforward_mb_s", "MB/s")} |");
    Console.WriteLine();
    Console.WriteLine("Outbound rows: the three paths take turns for 5 rounds in one run; each figure is the median of its rounds.");
}

static void PrintSwitch(SwitchBench.Result sw)
{
    Console.WriteLine("| switch (median of 3, call → session live) | method | median | runs |");
    Console.WriteLine("|---|---|---|---|");
    Console.WriteLine($"| Sync → Intercept | Switch-DevStrategy (one replace) | {Stats.Ms(Stats.Percentile(sw.Switch, 50))} | {string.Join(", ", sw.Switch.Select(Stats.Ms))} |");
    Console.WriteLine($"| | Stop-DevService + Start-DevService -Strategy Intercept | {Stats.Ms(Stats.Percentile(sw.StopStart, 50))} | {string.Join(", ", sw.StopStart.Select(Stats.Ms))} |");
    Results.Merge(new Dictionary<string, double>
    {
        ["switch_sync_intercept_ms"] = Stats.Percentile(sw.Switch, 50),
        ["stop_start_sync_intercept_ms"] = Stats.Percentile(sw.StopStart, 50),
    });
}

static double Run(string file, params string[] arguments)
{
    var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in arguments) info.ArgumentList.Add(a);
    using var p = Process.Start(info)!;
    var err = p.StandardError.ReadToEndAsync();
    p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)}: {err.Result}");
    return 0;
}

internal sealed record Args(int Edits, int Files, int IdleFiles, string? IdleChild, string? Only, int Runs)
{
    public static Args Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return new Args(int.Parse(Value("--edits") ?? "50"), int.Parse(Value("--files") ?? "10000"), int.Parse(Value("--idle-files") ?? "100000"), Value("--idle-child"), Value("--only"), int.Parse(Value("--runs") ?? "5"));
    }
}
