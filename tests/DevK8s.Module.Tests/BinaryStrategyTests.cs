using System.Net.Http;
using DevK8s.Tests.Shared;
using k8s;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The Binary strategy on the real cluster, through the cmdlets: the sample's Rust services built on
/// this machine (cargo), their binaries copied in and restarted under the supervisor.
/// </summary>
public class BinaryStrategyTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };

    static BinaryStrategyTests()
    {
        // The build runs with this process's environment; rustup installs cargo in ~/.cargo/bin.
        var cargoBin = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cargo", "bin");
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (Directory.Exists(cargoBin) && !path.Split(':').Contains(cargoBin)) Environment.SetEnvironmentVariable("PATH", path + ":" + cargoBin);
    }

    /// <summary>The sample without its target/: each test builds the workspace from scratch, as a fresh clone would.</summary>
    internal static TempProject CopyOfSample(string? ns = null)
    {
        var copy = new TempProject();
        var source = Path.Combine(PowerShellHost.RepoRoot, "examples", "sample");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(source, file);
            if (rel.StartsWith("target" + Path.DirectorySeparatorChar) || rel.Contains("__pycache__")) continue;
            var to = copy.PathOf(rel);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        if (ns is not null)
        {
            var config = copy.PathOf("devk8s.yaml");
            File.WriteAllText(config, File.ReadAllText(config).Replace("namespace: devk8s-sample", $"namespace: {ns}"));
        }
        return copy;
    }

    private static async Task<string> GetAsync(IKubernetes client, string ns, string service, string path)
    {
        var ip = (await client.CoreV1.ReadNamespacedServiceAsync(service, ns)).Spec.ClusterIP;
        return await Http.GetStringAsync($"http://{ip}:80{path}");
    }

    private static async Task<string> SupervisedPidAsync(IKubernetes client, string ns, string pod, string container) =>
        (await ExecAsync(client, ns, pod, container, "cat", "/tmp/.devk8s/pid")).Trim();

    private static int Builds(PowerShellHost host, string service) =>
        Convert.ToInt32(Assert.Single(host.Invoke("Get-DevSession $args[0]", service).OfType("DevSession")).Detail("Builds"));

    private static string? Detail(PowerShellHost host, string service, string name) =>
        Assert.Single(host.Invoke("Get-DevSession $args[0]", service).OfType("DevSession")).Detail(name)?.ToString();

    private static PowerShellHost Deployed(TempProject sample, IKubernetes client, string ns)
    {
        var host = new PowerShellHost(sample.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "catalog", 2, ns, 120);
        ClusterProjectTests.WaitReady(client, "gateway", 1, ns, 120);
        return host;
    }

    [SkippableFact]
    public async Task Sync_to_Binary_without_a_rollout_then_a_one_line_change_answers_over_HTTP_and_a_failed_build_keeps_it()
    {
        var client = TestCluster.Require();
        using var sample = CopyOfSample(ns.Name);
        using var host = Deployed(sample, client, ns.Name);
        var prod = TemplateJson(client, ns.Name, "catalog");
        Assert.Equal("catalog 1", await EventuallyAsync(() => GetAsync(client, ns.Name, "catalog", "/version"), v => v == "catalog 1", seconds: 60));

        var sync = host.Invoke("Start-DevService catalog -Strategy Sync").Single("DevSession");
        var template = TemplateJson(client, ns.Name, "catalog");
        var replicaSets = client.AppsV1.ListNamespacedReplicaSet(ns.Name, labelSelector: "app=catalog").Items.Count;

        // Both plans wrap the container's own command: the switch keeps the pod and its container.
        var switched = host.Invoke("Switch-DevStrategy catalog -Strategy Binary");
        switched.AssertNoErrors();
        var binary = Assert.Single(switched.OfType("DevSession"));
        Assert.Equal(("Binary", "Live"), (binary.Str("Strategy"), binary.Str("State")));
        Assert.Equal(sync.Str("Pod"), binary.Str("Pod"));
        Assert.Equal(template, TemplateJson(client, ns.Name, "catalog"));
        Assert.Equal(replicaSets, client.AppsV1.ListNamespacedReplicaSet(ns.Name, labelSelector: "app=catalog").Items.Count);
        var pod = binary.Str("Pod")!;
        Assert.Equal(0, client.CoreV1.ReadNamespacedPod(pod, ns.Name).Status.ContainerStatuses.Single().RestartCount);
        var pidBefore = await SupervisedPidAsync(client, ns.Name, pod, "catalog");

        // One line changed locally → built here → copied in → restarted → answering through the Service.
        var main = sample.PathOf("services/catalog/src/main.rs");
        File.WriteAllText(main, File.ReadAllText(main).Replace("\"catalog 1\"", "\"catalog 2, from Binary\""));
        Assert.Equal("catalog 2, from Binary", await EventuallyAsync(() => GetAsync(client, ns.Name, "catalog", "/version").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : ""),
            v => v == "catalog 2, from Binary", seconds: 120));
        var pidAfter = await SupervisedPidAsync(client, ns.Name, pod, "catalog");
        Assert.NotEqual(pidBefore, pidAfter);
        var sent = Convert.ToInt64(Assert.Single(host.Invoke("Get-DevSession catalog").OfType("DevSession")).Detail("BytesSent"));
        Assert.InRange(sent, 10_000, 5_000_000); // only the gzipped binary, never target/
        Assert.Equal(pod, Assert.Single(host.Invoke("Get-DevSession catalog").OfType("DevSession")).Str("Pod"));
        // One iteration on demand: the build finds nothing to do and the pod is left alone.
        var push = Assert.Single(host.Invoke("Sync-DevService catalog").OfType("DevPushResult"));
        Assert.Contains("unchanged, not touched", push.Str("Summary"));
        Assert.Equal(pidAfter, await SupervisedPidAsync(client, ns.Name, pod, "catalog"));

        // A broken build: a clear record with the compiler's words; the pod keeps the last good binary.
        var builds = Builds(host, "catalog");
        File.WriteAllText(main, File.ReadAllText(main).Replace("fn main() {", "fn main() { let broken: u32 = \"not a number\";"));
        await EventuallyAsync(() => Task.FromResult(Detail(host, "catalog", "LastOutcome") ?? ""), v => v.StartsWith("BuildFailed"), seconds: 120);
        Assert.True(Builds(host, "catalog") > builds);
        var outcome = Detail(host, "catalog", "LastOutcome")!;
        Assert.Contains("mismatched types", outcome);
        Assert.Contains("cargo build --release", outcome);
        Assert.Equal("catalog 2, from Binary", await GetAsync(client, ns.Name, "catalog", "/version"));
        Assert.Equal(pidAfter, await SupervisedPidAsync(client, ns.Name, pod, "catalog"));

        host.Invoke("Stop-DevService catalog").AssertNoErrors();
        Assert.Equal(prod, TemplateJson(client, ns.Name, "catalog"));
    }

    [SkippableFact]
    public async Task Shared_build_one_edit_of_the_shared_crate_builds_once_and_restarts_both_an_edit_of_catalog_restarts_catalog_only()
    {
        var client = TestCluster.Require();
        using var sample = CopyOfSample(ns.Name);
        using var host = Deployed(sample, client, ns.Name);
        try
        {
            var catalog = host.Invoke("Start-DevService catalog -Strategy Binary").Single("DevSession");
            var gateway = host.Invoke("Start-DevService gateway -Strategy Binary").Single("DevSession");
            // Let any build a start-up save caused settle before counting.
            await Task.Delay(1500);
            var builds = Builds(host, "catalog");
            Assert.Equal(builds, Builds(host, "gateway"));
            Assert.Contains("gateway", (object[])Assert.Single(host.Invoke("Get-DevSession catalog").OfType("DevSession")).Detail("SharedWith")!);
            var (catalogPod, gatewayPod) = (catalog.Str("Pod")!, gateway.Str("Pod")!);
            var catalogPid = await SupervisedPidAsync(client, ns.Name, catalogPod, "catalog");
            var gatewayPid = await SupervisedPidAsync(client, ns.Name, gatewayPod, "gateway");

            // The shared crate: both binaries change, one build, both processes start again.
            var lib = sample.PathOf("crates/httpkit/src/lib.rs");
            File.WriteAllText(lib, File.ReadAllText(lib).Replace("{name} listening on", "{name} (shared build) listening on"));
            await EventuallyAsync(async () => await SupervisedPidAsync(client, ns.Name, catalogPod, "catalog") != catalogPid
                && await SupervisedPidAsync(client, ns.Name, gatewayPod, "gateway") != gatewayPid, done => done, seconds: 120);
            await Task.Delay(1500);
            Assert.Equal(builds + 1, Builds(host, "catalog"));
            Assert.Equal(builds + 1, Builds(host, "gateway"));
            Assert.Equal("1", (await ExecAsync(client, ns.Name, gatewayPod, "gateway", "grep", "-c", "(shared build) listening on", "/usr/local/bin/gateway")).Trim());

            // catalog's own code: one more build; catalog restarts, gateway's binary is unchanged and untouched.
            catalogPid = await SupervisedPidAsync(client, ns.Name, catalogPod, "catalog");
            gatewayPid = await SupervisedPidAsync(client, ns.Name, gatewayPod, "gateway");
            var gatewayDeploys = Convert.ToInt32(Assert.Single(host.Invoke("Get-DevSession gateway").OfType("DevSession")).Detail("Deploys"));
            var main = sample.PathOf("services/catalog/src/main.rs");
            File.WriteAllText(main, File.ReadAllText(main).Replace("\"catalog 1\"", "\"catalog 3\""));
            Assert.Equal("catalog 3", await EventuallyAsync(() => GetAsync(client, ns.Name, "catalog", "/version").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : ""),
                v => v == "catalog 3", seconds: 120));
            await Task.Delay(1500);
            Assert.Equal(builds + 2, Builds(host, "gateway"));
            Assert.NotEqual(catalogPid, await SupervisedPidAsync(client, ns.Name, catalogPod, "catalog"));
            Assert.Equal(gatewayPid, await SupervisedPidAsync(client, ns.Name, gatewayPod, "gateway"));
            Assert.Equal(gatewayDeploys, Convert.ToInt32(Assert.Single(host.Invoke("Get-DevSession gateway").OfType("DevSession")).Detail("Deploys")));
            Assert.StartsWith("Unchanged", Detail(host, "gateway", "LastOutcome"));
            Assert.Equal(0, client.CoreV1.ReadNamespacedPod(gatewayPod, ns.Name).Status.ContainerStatuses.Single().RestartCount);
        }
        finally
        {
            host.Invoke("Stop-DevService catalog, gateway").AssertNoErrors();
        }
    }

    /// <summary>A busybox-only image (no C library) and a C program built here: dynamic is refused, static runs.</summary>
    [SkippableFact]
    public async Task A_glibc_dynamic_binary_into_a_busybox_image_is_refused_naming_the_loader_and_the_static_build_runs()
    {
        var client = TestCluster.Require();
        using var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              tool:
                binary:
                  build: gcc -O1 -o out/tool tool.c
                  artifact: out/tool
                  target: /tmp/tool
                  command: [/tmp/tool]
            """);
        project.Write("tool.c", "#include <stdio.h>\n#include <unistd.h>\nint main(void) { FILE *f = fopen(\"/tmp/ran\", \"w\"); fputs(\"ran\", f); fclose(f); pause(); return 0; }\n");
        Directory.CreateDirectory(project.PathOf("out"));
        project.Write("k8s/tool.yaml", ClusterProjectTests.Deployment("tool", replicas: 1));
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "tool", 1, ns.Name);
        var prod = TemplateJson(client, ns.Name, "tool");

        var refused = host.Invoke("Start-DevService tool -Strategy Binary");
        var error = Assert.Single(refused.Errors);
        Assert.Contains("/lib64/ld-linux-x86-64.so.2", error.Exception.Message);
        Assert.Contains("does not exist in the container", error.Exception.Message);
        Assert.Contains("static", error.ErrorDetails?.RecommendedAction ?? error.Exception.Message);
        // Refused before anything was copied, and dev mode rolled back.
        Assert.Equal(prod, TemplateJson(client, ns.Name, "tool"));

        var config = project.PathOf("devk8s.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("gcc -O1", "gcc -O1 -static"));
        var started = host.Invoke("Start-DevService tool -Strategy Binary");
        started.AssertNoErrors();
        var pod = Assert.Single(started.OfType("DevSession")).Str("Pod")!;
        try
        {
            Assert.Equal("ran", await EventuallyAsync(async () => (await ExecAsync(client, ns.Name, pod, "main", "sh", "-c", "cat /tmp/ran 2>/dev/null; true")).Trim(), v => v == "ran", seconds: 30));
        }
        finally
        {
            host.Invoke("Stop-DevService tool").AssertNoErrors();
        }
    }
}
