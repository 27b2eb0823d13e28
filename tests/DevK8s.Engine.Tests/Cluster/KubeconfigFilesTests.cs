using DevK8s.Engine.Cluster;
using Xunit;

namespace DevK8s.Engine.Tests.Cluster;

/// <summary>Several kubeconfig files merge as kubectl merges them.</summary>
public class KubeconfigFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Write(string relative, string yaml)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml);
        return path;
    }

    // No current-context; defines 'shared' and cluster 'a'.
    private string Company() => Write("company/config", """
        apiVersion: v1
        kind: Config
        clusters:
          - name: a
            cluster: { server: "https://a.example:6443" }
        users:
          - name: me
            user: { token: company-token }
        contexts:
          - name: shared
            context: { cluster: a, user: me, namespace: company-ns }
          - name: company
            context: { cluster: a, user: me }
        """);

    // Sets current-context; redefines 'shared' and cluster 'a' (both must lose), adds 'dev'.
    private string Personal() => Write("personal/config", """
        apiVersion: v1
        kind: Config
        current-context: dev
        clusters:
          - name: a
            cluster: { server: "https://evil.example:6443" }
          - name: devcluster
            cluster: { server: "https://dev.example:6443", certificate-authority: certs/ca.crt }
        users:
          - name: me
            user: { token: personal-token }
          - name: dev-user
            user:
              client-certificate: certs/me.crt
              client-key: /abs/me.key
              exec: { apiVersion: client.authentication.k8s.io/v1, command: ./bin/login, args: [x] }
          - name: plugin-user
            user:
              exec: { apiVersion: client.authentication.k8s.io/v1, command: kubelogin }
        contexts:
          - name: shared
            context: { cluster: devcluster, user: dev-user }
          - name: dev
            context: { cluster: devcluster, user: dev-user, namespace: dev-ns }
        """);

    [Fact]
    public void First_file_wins_each_name_whole_and_current_context_comes_from_the_first_that_sets_it()
    {
        var merged = KubeconfigFiles.Load([Company(), Personal()]);
        Assert.Equal("dev", merged.CurrentContext);
        Assert.Equal(["shared", "company", "dev"], merged.Contexts.Select(c => c.Name));
        Assert.Equal("a", merged.Contexts.Single(c => c.Name == "shared").ContextDetails.Cluster);
        Assert.Equal("https://a.example:6443", merged.Clusters.Single(c => c.Name == "a").ClusterEndpoint.Server);
        Assert.Equal("company-token", merged.Users.Single(u => u.Name == "me").UserCredentials.Token);
        Assert.Equal(["a", "devcluster"], merged.Clusters.Select(c => c.Name));
    }

    [Fact]
    public void Relative_paths_stay_relative_to_the_file_that_holds_them()
    {
        var merged = KubeconfigFiles.Load([Company(), Personal()]);
        var personal = Path.Combine(_dir, "personal");
        Assert.Equal(Path.Combine(personal, "certs", "ca.crt"), merged.Clusters.Single(c => c.Name == "devcluster").ClusterEndpoint.CertificateAuthority);
        var dev = merged.Users.Single(u => u.Name == "dev-user").UserCredentials;
        Assert.Equal(Path.Combine(personal, "certs", "me.crt"), dev.ClientCertificate);
        Assert.Equal("/abs/me.key", dev.ClientKey);
        Assert.Equal(Path.Combine(personal, "bin", "login"), dev.ExternalExecution.Command);
        // A bare command name is looked up on PATH, as kubectl does.
        Assert.Equal("kubelogin", merged.Users.Single(u => u.Name == "plugin-user").UserCredentials.ExternalExecution.Command);
    }

    [Fact]
    public void Missing_entries_of_KUBECONFIG_are_skipped_and_none_existing_is_a_clear_error()
    {
        var company = Company();
        var personal = Personal();
        var list = string.Join(Path.PathSeparator, Path.Combine(_dir, "missing"), company, "", personal, company);
        Assert.Equal([company, personal], KubeconfigFiles.Find(null, list, _dir));
        var error = Assert.Throws<KubeconfigException>(() => KubeconfigFiles.Find(null, Path.Combine(_dir, "nope"), _dir));
        Assert.Contains("no such file exists", error.Message);
        Assert.Equal([company], KubeconfigFiles.Find(company, list, _dir));
    }

    [Fact]
    public void KubeTarget_opens_a_context_that_only_the_second_KUBECONFIG_file_defines()
    {
        var company = Company();
        Write("personal2/config", """
            apiVersion: v1
            kind: Config
            current-context: dev
            clusters:
              - name: devcluster
                cluster: { server: "https://dev.example:6443" }
            users:
              - name: dev-user
                user: { token: t }
            contexts:
              - name: dev
                context: { cluster: devcluster, user: dev-user, namespace: dev-ns }
            """);
        var before = Environment.GetEnvironmentVariable("KUBECONFIG");
        try
        {
            Environment.SetEnvironmentVariable("KUBECONFIG", company + Path.PathSeparator + Path.Combine(_dir, "personal2/config"));
            using var target = KubeTarget.Open(new KubeTargetOptions());
            Assert.Equal(("dev", "dev-ns", "https://dev.example:6443"), (target.Context, target.Namespace, target.Server));
            Assert.Equal(2, target.KubeconfigPaths.Count);
            using var other = KubeTarget.Open(new KubeTargetOptions(Context: "company"));
            Assert.Equal("https://a.example:6443", other.Server);
        }
        finally { Environment.SetEnvironmentVariable("KUBECONFIG", before); }
    }
}
