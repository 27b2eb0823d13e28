using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The test cluster's DNS (tests/cluster: dnsmasq fed from the API's Services), as a real
/// cluster's: a pod resolves a Service by name, name.ns, name.ns.svc and the full name, and the
/// records follow Services as they come and go.
/// </summary>
public class ClusterDnsTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private const string Resolve = """
        import socket, sys
        for name in sys.argv[1:]:
            try: print(name, socket.gethostbyname(name))
            except socket.gaierror: print(name, "NXDOMAIN")
        """;

    [SkippableFact]
    public async Task A_pod_resolves_Service_names_and_the_records_follow_the_Services()
    {
        var client = TestCluster.Require();
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "dns-client", Labels = new Dictionary<string, string> { ["app"] = "dns-client" } },
            Spec = new V1PodSpec { TerminationGracePeriodSeconds = 0, Containers = [new V1Container { Name = "c", Image = "devk8s-base/bookworm:1", ImagePullPolicy = "Never", Command = ["sleep", "3600"] }] },
        }, ns.Name);
        await RunningPodAsync(client, ns.Name, "dns-client");
        var name = "dns-" + Guid.NewGuid().ToString("N")[..6];
        var svc = await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = name }, Ports = [new V1ServicePort { Port = 80 }] },
        }, ns.Name);
        var ip = svc.Spec.ClusterIP;
        string[] names = [name, $"{name}.{ns.Name}", $"{name}.{ns.Name}.svc", $"{name}.{ns.Name}.svc.cluster.local"];

        var answers = await EventuallyAsync(() => ExecAsync(client, ns.Name, "dns-client", "c", ["python3", "-c", Resolve, .. names]),
            o => o.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.EndsWith(" " + ip)), seconds: 15);
        Assert.Equal(names.Select(n => $"{n} {ip}"), answers.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // Kubernetes 1.20 answers a Service delete with a Status, which this client cannot read as a V1Service.
        using (await client.CoreV1.DeleteNamespacedServiceWithHttpMessagesAsync(name, ns.Name).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null)) { }
        Assert.Null(await client.CoreV1.ListNamespacedServiceAsync(ns.Name).ContinueWith(t => t.Result.Items.FirstOrDefault(s => s.Metadata.Name == name)));
        var gone = await EventuallyAsync(() => ExecAsync(client, ns.Name, "dns-client", "c", ["python3", "-c", Resolve, .. names]),
            o => o.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => l.EndsWith(" NXDOMAIN")), seconds: 15);
        Assert.Equal(names.Select(n => $"{n} NXDOMAIN"), gone.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
