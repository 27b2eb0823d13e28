using DevK8s.Engine.Cluster;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;
using DevK8s.Engine.Sync;
using k8s;
using k8s.Models;
using Xunit;
using static DevK8s.Windows.Tests.WindowsTestEnvironment;

namespace DevK8s.Windows.Tests;

/// <summary>
/// One real sync from a Windows working tree into a container of the test cluster, over the exec
/// channel as Sync uses it. Wine's TLS cannot verify the cluster's CA (0x80090302), so
/// tests/windows/run hands over a test-only kubeconfig that skips verification for the loopback server.
/// </summary>
[Trait("Needs", "cluster")]
public class ClusterSyncTests : IAsyncLifetime
{
    private const string Image = "devk8s-base/busybox:1";
    private readonly string _namespace = "devk8s-w-" + Guid.NewGuid().ToString("N")[..8];
    private const string Pod = "target";
    private KubeTarget _target = null!;

    public async ValueTask InitializeAsync()
    {
        var kubeconfig = Environment.GetEnvironmentVariable("DEVK8S_TEST_KUBECONFIG_WINE");
        Assert.True(!string.IsNullOrEmpty(kubeconfig) && File.Exists(kubeconfig),
            "DEVK8S_TEST_KUBECONFIG_WINE must name the test cluster's kubeconfig with TLS verification off (tests/windows/run writes it; the cluster: tests/cluster/up)");
        _target = KubeTarget.Open(new KubeTargetOptions(Namespace: _namespace, KubeconfigPath: kubeconfig));
        var client = _target.Client;
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _namespace, Labels = new Dictionary<string, string> { ["devk8s.io/test"] = "true" } } });
        // Pods are refused until the token controller has given the default ServiceAccount its secret (Kubernetes < 1.24).
        for (var i = 0; i < 240 && (await client.CoreV1.ReadNamespacedServiceAccountAsync("default", _namespace).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.Secrets?.Count ?? 0 : 0)) == 0; i++)
            await Task.Delay(250);
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = Pod },
            Spec = new V1PodSpec
            {
                TerminationGracePeriodSeconds = 1,
                Containers =
                [
                    new V1Container
                    {
                        Name = "main", Image = Image, ImagePullPolicy = "Never",
                        // The image's own executable script, which an edit from Windows must not turn into 0644.
                        Command = ["sh", "-c", "mkdir -p /app/bin && printf '#!/bin/sh\\necho image\\n' > /app/bin/tool.sh && chmod 755 /app/bin/tool.sh && exec sleep 3600"],
                    },
                ],
            },
        }, _namespace);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while ((await client.CoreV1.ReadNamespacedPodAsync(Pod, _namespace)).Status?.ContainerStatuses?.FirstOrDefault()?.State?.Running is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"pod {_namespace}/{Pod} did not start within 90 s");
            await Task.Delay(500);
        }
        // The container's command may still be writing /app.
        await Task.Delay(1000);
    }

    public async ValueTask DisposeAsync()
    {
        if (_target is null) return;
        try { await _target.Client.CoreV1.DeleteNamespaceAsync(_namespace); }
        catch (k8s.Autorest.HttpOperationException) { }
        _target.Dispose();
    }

    [Fact]
    public async Task A_windows_working_tree_arrives_byte_identical_with_the_containers_modes_and_without_ignored_secrets()
    {
        var dir = FreshFolder("wsync");
        try
        {
            Write(Path.Combine(dir, ".gitignore"), "secrets/\n");
            Write(Path.Combine(dir, "index.html"), "<h1>from windows</h1>\r\n<p>crlf kept as is</p>\r\n");
            Write(Path.Combine(dir, "bin", "tool.sh"), "#!/bin/sh\necho local\n");
            Write(Path.Combine(dir, "new.sh"), "#!/bin/sh\necho new\n");
            Write(Path.Combine(dir, "Secrets", "db.key"), "TOPSECRET");
            var binary = new byte[200_000];
            new Random(42).NextBytes(binary);
            File.WriteAllBytes(Path.Combine(dir, "data.bin"), binary);

            var ct = TestContext.Current.CancellationToken;
            var stderr = new List<string>();
            await using var agent = await SyncAgent.StartAsync(_target, new DevPod(Pod, "main", Image), stderr.Add, ct);
            var modes = new FileModes(dir);
            Assert.True(modes.WantsRemoteModes);
            var remote = await agent.ListAsync("/app", ct, modes.WantsRemoteModes);
            modes.SetRemote(remote.Modes);
            var entries = LocalTree.Scan(dir, new SyncFilter(dir, [], useGitignore: true, dir)).Values.ToList();
            using (var batch = TarBatch.Build(dir, entries, compress: true, modes))
                Assert.Equal(0, await agent.SendTarAsync("/app", batch, ct));

            var listed = await agent.ListAsync("/app", ct, withModes: true);
            foreach (var file in new[] { "index.html", "bin/tool.sh", "new.sh", "data.bin", ".gitignore" })
                Assert.Equal(LocalTree.Hash(Path.Combine(dir, file.Replace('/', '\\'))), listed.FileHashes[file]);
            Assert.Equal("755", Convert.ToString((int)listed.Modes["bin/tool.sh"], 8));
            Assert.Equal("644", Convert.ToString((int)listed.Modes["new.sh"], 8));
            Assert.DoesNotContain(listed.FileHashes.Keys, k => k.StartsWith("Secrets", StringComparison.OrdinalIgnoreCase));
            var run = await PodExec.RunAsync(_target, Pod, "main", ["/app/bin/tool.sh"], ct);
            Assert.Equal("local\n", run.Stdout);
        }
        finally { Directory.Delete(dir, true); }
    }
}
