using DevK8s.Engine.Image;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;
using Xunit.Abstractions;

namespace DevK8s.Engine.Tests.Image;

/// <summary>The node pulls a daemonless-built image by digest and runs the file the layer added.</summary>
public class AssembledImageRunsTests(NamespaceFixture ns, ITestOutputHelper output) : IClassFixture<NamespaceFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-run-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [SkippableFact]
    public async Task A_pod_from_the_pinned_image_runs_the_added_program()
    {
        var kube = TestCluster.Require();
        await TestRegistry.RequireAsync();
        var hosting = (await LocalRegistryHosting.ReadAsync(kube))!;
        var marker = Guid.NewGuid().ToString("N");
        var script = Path.Combine(_dir, "hello");
        File.WriteAllText(script, $"#!/bin/bash\necho \"layer says {marker}\"\nls -l /usr/local/bin/hello\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        using var layer = LayerBuilder.Build([new LayerFile(script, "/usr/local/bin/hello")]);
        var (push, pull) = hosting.Repositories(TestRegistry.NewRepository("run"));
        using var client = new RegistryClient(hosting.AllowPlainHttp(new RegistryClientOptions()));
        var pushed = await new ImageAssembler(client).AssembleAsync(new AssembleRequest(TestRegistry.Bookworm, push.WithTag("dev"), layer));
        var image = $"{pull.Name}@{pushed.Digest}";
        output.WriteLine($"pod image {image}");

        await kube.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "assembled" },
            Spec = new V1PodSpec
            {
                RestartPolicy = "Never",
                TerminationGracePeriodSeconds = 0,
                Containers = [new V1Container { Name = "app", Image = image, Command = ["/usr/local/bin/hello"] }],
            },
        }, ns.Name);
        V1Pod pod;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        do
        {
            await Task.Delay(500);
            pod = await kube.CoreV1.ReadNamespacedPodAsync("assembled", ns.Name);
        } while (pod.Status?.Phase is not ("Succeeded" or "Failed") && DateTime.UtcNow < deadline);
        var waiting = pod.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting;
        Assert.True(pod.Status?.Phase == "Succeeded", $"pod phase {pod.Status?.Phase} ({waiting?.Reason}: {waiting?.Message})");
        var log = await new StreamReader(await kube.CoreV1.ReadNamespacedPodLogAsync("assembled", ns.Name)).ReadToEndAsync();
        output.WriteLine(log);
        Assert.Contains($"layer says {marker}", log);
        Assert.Contains("-rwxr-xr-x 1 root root", log);
        Assert.Equal(pushed.Digest, pod.Status!.ContainerStatuses![0].ImageID.Split('@').Last());
    }
}
