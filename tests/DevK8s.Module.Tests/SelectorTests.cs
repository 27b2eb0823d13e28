using DevK8s.Tests.Shared;
using k8s;
using Xunit;

namespace DevK8s.Module.Tests;

/// <summary>
/// A workload that selects its pods by matchExpressions only: dropping the expressions gives an empty
/// selector, which lists every pod in the namespace. 'a-other' sorts first, so with the defect its pod
/// is the one whose entrypoint dev mode reads and wraps, and whose logs Watch-DevLog shows.
/// </summary>
public class SelectorTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    private static string Deployment(string name, string selector, string args) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{name}}
        spec:
          replicas: 1
          selector:
        {{selector}}
          template:
            metadata:
              labels:
                app: {{name}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
                - name: main
                  image: {{ClusterProjectTests.Busybox}}
                  imagePullPolicy: Never
                  args: {{args}}
        """;

    [SkippableFact]
    public void A_selector_of_expressions_finds_only_its_own_pods_for_the_entrypoint_and_the_logs()
    {
        var client = TestCluster.Require();
        using var project = new TempProject($"""
            namespace: {ns.Name}
            manifests: [k8s]
            services:
              zapi:
                sync:
                  paths: [{"{"}from: site, to: /app{"}"}]
                  onChange:
                    - match: "*.conf"
                      action: restart
            """);
        project.Write("site/index.html", "x\n");
        project.Write("k8s/a-other.yaml", Deployment("a-other", "    matchLabels: {app: a-other}", "[sh, -c, \"while true; do echo from-other; sleep 1; done\"]"));
        project.Write("k8s/zapi.yaml", Deployment("zapi", "    matchExpressions: [{key: app, operator: In, values: [zapi]}]", "[sh, -c, \"echo from-api; exec httpd -f -p 8080\"]"));
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        ClusterProjectTests.WaitReady(client, "a-other", 1, ns.Name);
        ClusterProjectTests.WaitReady(client, "zapi", 1, ns.Name);

        var logs = host.Invoke("Watch-DevLog zapi -Tail 20 -Timeout 3").OfType("DevLogRecord");
        Assert.Contains(logs, r => r.Str("Message") == "from-api");
        Assert.DoesNotContain(logs, r => r.Str("Message") == "from-other");

        host.Invoke("Start-DevService zapi").AssertNoErrors();
        try
        {
            var command = client.AppsV1.ReadNamespacedDeployment("zapi", ns.Name).Spec.Template.Spec.Containers[0].Command;
            Assert.Equal(new[] { "httpd", "-f", "-p", "8080" }, DevModeSyncTests.SupervisedArgv(command));
        }
        finally { host.Invoke("Stop-DevService zapi").AssertNoErrors(); }
    }
}
