using System.Management.Automation;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;

namespace DevK8s.Module.Tests;

/// <summary>Deploy-DevProject and Get-DevService against the real test cluster.</summary>
public class ClusterProjectTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    public const string Busybox = "devk8s-base/busybox:1";

    public static string Deployment(string name, int replicas = 1, string extra = "", string command = "[httpd, -f, -p, \"8080\"]") => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{name}}
          labels:
            app: {{name}}
        spec:
          replicas: {{replicas}}
          selector:
            matchLabels:
              app: {{name}}
          template:
            metadata:
              labels:
                app: {{name}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
                - name: main
                  image: {{Busybox}}
                  imagePullPolicy: Never
                  command: {{command}}
                  ports: [{name: http, containerPort: 8080}]{{extra}}
        """;

    private TempProject Project(string services = "  api:\n  web:\n    workload: deployment/web-frontend\n")
    {
        var project = new TempProject($"namespace: {ns.Name}\nmanifests: [k8s]\nservices:\n{services}");
        project.Write("k8s/api.yaml", Deployment("api") + "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  selector: {app: api}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n");
        project.Write("k8s/config/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {GREETING: \"hello\", PORT: \"8080\"}\n");
        return project;
    }

    [SkippableFact]
    public void Deploy_applies_every_manifest_unchanged_and_is_idempotent()
    {
        var client = TestCluster.Require();
        using var project = Project();
        using var host = new PowerShellHost(project.Directory);
        // Other tests of this class deploy the same project into the shared namespace: start without it.
        foreach (var delete in new Action[]
        {
            () => client.CoreV1.DeleteNamespacedConfigMap("settings", ns.Name),
            () => client.CoreV1.DeleteNamespacedService("api", ns.Name),
            () => client.AppsV1.DeleteNamespacedDeployment("api", ns.Name),
        })
            try { delete(); }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound) { }
            catch (System.Text.Json.JsonException) { } // deleted: a Service delete answers with a Status the client cannot read as a V1Service

        var first = host.Invoke("Deploy-DevProject");
        first.AssertNoErrors();
        Assert.Equal(new[] { "ConfigMap/settings:Created", "Service/api:Created", "Deployment/api:Created" },
            first.OfType("DevApplyResult").Select(r => $"{r.Str("Kind")}/{r.Str("Name")}:{r.Str("Action")}"));
        Assert.All(first.OfType("DevApplyResult"), r => Assert.Equal(ns.Name, r.Str("Namespace")));

        var configMap = client.CoreV1.ReadNamespacedConfigMap("settings", ns.Name);
        Assert.Equal("8080", configMap.Data["PORT"]); // a quoted number stays a string, as kubectl would send it
        var deployment = client.AppsV1.ReadNamespacedDeployment("api", ns.Name);
        Assert.Equal(new[] { "httpd", "-f", "-p", "8080" }, deployment.Spec.Template.Spec.Containers[0].Command);

        var second = host.Invoke("Deploy-DevProject");
        second.AssertNoErrors();
        Assert.All(second.OfType("DevApplyResult"), r => Assert.Equal("Unchanged", r.Str("Action")));
    }

    [SkippableFact]
    public void WhatIf_changes_nothing()
    {
        var client = TestCluster.Require();
        using var project = Project();
        project.Write("k8s/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: whatif-only}\ndata: {a: b}\n");
        using var host = new PowerShellHost(project.Directory);
        var result = host.Invoke("Deploy-DevProject -WhatIf");
        result.AssertNoErrors();
        Assert.Empty(result.OfType("DevApplyResult"));
        var e = Assert.Throws<k8s.Autorest.HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMap("whatif-only", ns.Name));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, e.Response.StatusCode);
    }

    [SkippableFact]
    public void A_broken_manifest_stops_the_deploy_before_anything_is_applied()
    {
        var client = TestCluster.Require();
        using var project = Project();
        project.Write("k8s/a-first.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: never-applied}\n");
        project.Write("k8s/zz-broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   bad: indent\n");
        using var host = new PowerShellHost(project.Directory);
        var result = host.Invoke("Deploy-DevProject");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("DevK8s.ConfigInvalid,", error.FullyQualifiedErrorId);
        Assert.Contains("zz-broken.yaml:5:", error.Exception.Message);
        Assert.Throws<k8s.Autorest.HttpOperationException>(() => client.CoreV1.ReadNamespacedConfigMap("never-applied", ns.Name));
    }

    [SkippableFact]
    // The call count (one list per workload kind) is counted in Engine.Tests' ServiceStatusReaderTests.
    public void Get_DevService_joins_config_with_the_cluster()
    {
        var client = TestCluster.Require();
        using var project = Project();
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        WaitReady(client, "api", 1, ns.Name);

        var result = host.Invoke("Get-DevService");
        result.AssertNoErrors();
        var services = result.OfType("DevService").ToDictionary(s => s.Str("Name")!);
        Assert.Equal(("Prod", "1/1", "main", Busybox, "deployment/api", ns.Name),
            (services["api"].Str("Mode"), services["api"].Str("Ready"), services["api"].Str("Container"), services["api"].Str("Image"), services["api"].Str("Workload"), services["api"].Str("Namespace")));
        Assert.Equal(("Missing", "-"), (services["web"].Str("Mode"), services["web"].Str("Ready")));

        var filtered = host.Invoke("Get-DevService -Name a* | ForEach-Object Name").Output.Select(o => o.ToString());
        Assert.Equal(new[] { "api" }, filtered);
        var byPipeline = host.Invoke("'web' | Get-DevService | ForEach-Object Mode").Output.Select(o => o.ToString());
        Assert.Equal(new[] { "Missing" }, byPipeline);
    }

    [SkippableFact]
    public void Get_DevService_shows_a_dev_session_recorded_on_the_workload()
    {
        var client = TestCluster.Require();
        using var project = Project();
        using var host = new PowerShellHost(project.Directory);
        host.Invoke("Deploy-DevProject").AssertNoErrors();
        var session = """{"owner":"ana@laptop","sessionId":"s1","strategy":"Sync","startedAt":"2026-11-24T10:00:00+00:00"}""";
        var patch = new V1Patch(new { metadata = new { annotations = new Dictionary<string, string> { ["devk8s.io/session"] = session } } }, V1Patch.PatchType.MergePatch);
        client.AppsV1.PatchNamespacedDeployment(patch, "api", ns.Name);

        var api = Assert.Single(host.Invoke("Get-DevService api").OfType("DevService"));
        Assert.Equal(("Dev", "Sync", "ana@laptop"), (api.Str("Mode"), api.Str("Strategy"), api.Str("Owner")));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), (DateTimeOffset)api.Prop("Since")!);
    }

    [SkippableFact]
    public void Namespace_and_unknown_names_are_reported_precisely()
    {
        TestCluster.Require();
        using var project = Project();
        using var host = new PowerShellHost(project.Directory);
        var result = host.Invoke("Get-DevService -Name nope, api -Namespace devk8s-absent-ns");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("DevK8s.ServiceNotFound,", error.FullyQualifiedErrorId);
        Assert.Contains("Configured: api, web", error.Exception.Message);
        var api = Assert.Single(result.OfType("DevService"));
        Assert.Equal(("devk8s-absent-ns", "Missing"), (api.Str("Namespace"), api.Str("Mode")));
    }

    [SkippableFact]
    public void Test_DevEnvironment_passes_on_the_test_cluster_and_names_the_fix_for_a_bad_context()
    {
        TestCluster.Require();
        using var project = Project();
        using var host = new PowerShellHost(project.Directory);
        var checks = host.Invoke("Test-DevEnvironment").OfType("DevCheck").ToDictionary(c => c.Str("Name")!);
        Assert.Equal("Pass", checks["Project"].Str("Status"));
        Assert.Equal("Pass", checks["Kubeconfig"].Str("Status"));
        Assert.Equal("Pass", checks["Server"].Str("Status"));
        Assert.Contains("Kubernetes v1.", checks["Server"].Str("Detail"));
        Assert.Equal("Pass", checks["Permissions"].Str("Status"));
        Assert.Contains(checks["Telepresence"].Str("Status"), new[] { "Pass", "Warn" });

        var bad = host.Invoke("Test-DevEnvironment -Context no-such-context").OfType("DevCheck").ToDictionary(c => c.Str("Name")!);
        Assert.Equal("Fail", bad["Kubeconfig"].Str("Status"));
        Assert.Contains("Context 'no-such-context' is not in", bad["Kubeconfig"].Str("Detail"));
        Assert.Contains("-Context", bad["Kubeconfig"].Str("Fix"));
        Assert.False(bad.ContainsKey("Server"));
        Assert.False((bool)host.Invoke("Test-DevEnvironment -Context no-such-context -Quiet").Output.Single().BaseObject);
    }

    internal static void WaitReady(IKubernetes client, string name, int replicas, string? ns = null, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var d = client.AppsV1.ReadNamespacedDeployment(name, ns ?? throw new ArgumentNullException(nameof(ns)));
            if ((d.Status?.ReadyReplicas ?? 0) == replicas && (d.Status?.UpdatedReplicas ?? 0) == replicas) return;
            Thread.Sleep(250);
        }
        throw new TimeoutException($"deployment {name} not ready with {replicas} replicas after {seconds}s");
    }
}
