using System.Text;
using System.Text.RegularExpressions;
using DevK8s.Tests.Shared;
using k8s;
using k8s.Models;
using Xunit;
using static DevK8s.Tests.Shared.ClusterHelpers;

namespace DevK8s.Module.Tests;

/// <summary>
/// The whole builtin intercept (Start, inbound traffic, outbound, Stop) with a ServiceAccount's
/// kubeconfig bound to a namespaced Role that holds exactly the rights Test-DevEnvironment lists
/// (EnvironmentDoctor.Permissions): nothing cluster-scoped is read or written. It sets KUBECONFIG
/// for the process, so it runs alone (in the collection that runs after the parallel tests).
/// </summary>
[Collection(nameof(ApiServerOutage))]
public partial class NoAdminInterceptTests(NamespaceFixture ns) : IClassFixture<NamespaceFixture>
{
    [GeneratedRegex("""new\("(?<verb>[a-z]+)", "(?<resource>[a-z]+)", (?:"(?<sub>[a-z]+)"|null), "(?<group>[a-z0-9.]*)"[^\n]*""")]
    private static partial Regex PermissionTuple();

    /// <summary>The doctor's list, read from its source: the Role the test grants is the list a user is told to ask for.</summary>
    private static List<V1PolicyRule> DoctorRules()
    {
        var source = File.ReadAllText(Path.Combine(PowerShellHost.RepoRoot, "src", "DevK8s.Engine", "Doctor", "ClusterPermissions.cs"));
        var block = source[source.IndexOf("All =", StringComparison.Ordinal)..];
        block = block[..block.IndexOf("];", StringComparison.Ordinal)];
        // Cluster-scoped rows (Deploy's namespaces) are not something a namespaced Role can grant, nor needed here.
        var rules = PermissionTuple().Matches(block).Where(m => !m.Value.Contains("Namespaced: false")).Select(m => new V1PolicyRule
        {
            Verbs = [m.Groups["verb"].Value],
            ApiGroups = [m.Groups["group"].Value],
            Resources = [m.Groups["sub"].Success ? $"{m.Groups["resource"].Value}/{m.Groups["sub"].Value}" : m.Groups["resource"].Value],
        }).ToList();
        Assert.True(rules.Count >= 9, "the doctor's permission list was not found");
        return rules;
    }

    private static async Task<string> KubeconfigForAsync(IKubernetes client, string ns, string account, string path)
    {
        var sa = await EventuallyAsync(() => client.CoreV1.ReadNamespacedServiceAccountAsync(account, ns), a => a.Secrets?.Count > 0);
        var secret = await client.CoreV1.ReadNamespacedSecretAsync(sa.Secrets[0].Name, ns);
        var admin = File.ReadAllText(TestCluster.KubeconfigPath);
        var ca = Regex.Match(admin, "certificate-authority-data: (\\S+)").Groups[1].Value;
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: test, cluster: {"{"}server: "https://127.0.0.1:6443", certificate-authority-data: {ca}{"}"}{"}"}]
            users: [{"{"}name: {account}, user: {"{"}token: {Encoding.UTF8.GetString(secret.Data["token"])}{"}"}{"}"}]
            contexts: [{"{"}name: dev, context: {"{"}cluster: test, user: {account}, namespace: {ns}{"}"}{"}"}]
            current-context: dev
            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    [SkippableFact]
    public async Task A_ServiceAccount_with_only_the_doctors_namespaced_rights_runs_the_whole_intercept()
    {
        var client = TestCluster.Require();
        var token = "noadmin-" + Guid.NewGuid().ToString("N")[..8];
        var tests = new BuiltinInterceptTests(ns);
        using var project = tests.ProjectFor(token);
        // The admin deploys (prod mode is not what this test is about) and grants the Role.
        using (BuiltinInterceptTests.Deployed(project, client, ns.Name)) { }
        await client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "dev" } }, ns.Name);
        await client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role { Metadata = new V1ObjectMeta { Name = "devk8s-dev" }, Rules = DoctorRules() }, ns.Name);
        await client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "devk8s-dev" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "devk8s-dev" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "dev", NamespaceProperty = ns.Name }],
        }, ns.Name);
        var kubeconfig = await KubeconfigForAsync(client, ns.Name, "dev", project.PathOf("dev.kubeconfig"));
        var original = TemplateJson(client, ns.Name, "api");

        var saved = Environment.GetEnvironmentVariable("KUBECONFIG");
        Environment.SetEnvironmentVariable("KUBECONFIG", kubeconfig);
        try
        {
            using var host = new PowerShellHost(project.Directory);
            host.Invoke("Start-DevService api -Strategy Intercept").AssertNoErrors();
            try
            {
                Assert.Equal(token, await EventuallyAsync(() => tests.FromClientAsync(client, "http://api/token"), r => r == token, seconds: 30));
                Assert.Equal("other-ok", await tests.FromClientAsync(client, "http://api/outbound"));
            }
            finally
            {
                host.Invoke("Stop-DevService api").AssertNoErrors();
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBECONFIG", saved);
        }
        Assert.Equal(original, TemplateJson(client, ns.Name, "api"));
    }
}
