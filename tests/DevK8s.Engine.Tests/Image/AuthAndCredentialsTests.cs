using System.Text;
using DevK8s.Engine.Image;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

public class AuthAndCredentialsTests
{
    [Fact]
    public void Bearer_challenge_keeps_commas_inside_quoted_scope()
    {
        var c = AuthChallenge.Parse("Bearer", "realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:a/b:pull,push repository:c:pull\"");
        Assert.True(c.IsBearer);
        Assert.Equal("https://auth.example.com/token", c.Realm);
        Assert.Equal("registry.example.com", c.Service);
        Assert.Equal(["repository:a/b:pull,push", "repository:c:pull"], c.Scopes);
        Assert.True(AuthChallenge.Parse("basic", "realm=Registry").IsBasic);
    }

    [Fact]
    public void Token_scopes_for_one_repository_merge_their_actions() =>
        Assert.Equal(["repository:a/b:pull,push", "repository:c:pull"],
            RegistryClient.MergeScopes(["repository:a/b:pull,push", "repository:c:pull", "repository:a/b:pull"]));

    [Theory]
    [InlineData("127.0.0.1:5000", "http")]
    [InlineData("127.3.4.5:80", "http")]
    [InlineData("localhost:5000", "http")]
    [InlineData("[::1]:5000", "http")]
    [InlineData("172.17.0.1:5000", "https")]
    [InlineData("registry.example.com", "https")]
    [InlineData("kind-registry:5000", "http")]
    public void Plain_http_only_for_loopback_and_published_local_registries(string registry, string scheme)
    {
        using var client = new RegistryClient(new RegistryClientOptions { PlainHttpHosts = ["kind-registry:5000"] });
        Assert.Equal(scheme, client.SchemeFor(registry));
    }

    private static string WriteConfig(string json)
    {
        var dir = Directory.CreateTempSubdirectory("devk8s-dockercfg-").FullName;
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Docker_config_auths_are_found_by_host_whatever_the_key_spelling()
    {
        var path = WriteConfig($$$"""
            {"auths": {
              "https://index.docker.io/v1/": {"auth": "{{{B64("hubuser:hub:pass")}}}"},
              "http://127.0.0.1:5001/": {"auth": "{{{B64("alice:s3cret")}}}"},
              "ghcr.io": {"username": "bob", "password": "tok"}
            }}
            """);
        var creds = DockerConfigCredentials.Load(path);
        Assert.Equal(new RegistryCredential("hubuser", "hub:pass"), creds.Find("docker.io"));
        Assert.Equal(new RegistryCredential("alice", "s3cret"), creds.Find("127.0.0.1:5001"));
        Assert.Equal(new RegistryCredential("bob", "tok"), creds.Find("ghcr.io"));
        Assert.Null(creds.Find("quay.io"));
    }

    /// <summary>A stand-in credential helper: answers from a table by the server read on stdin, logs each call.</summary>
    private static string FakeHelper(string dir, string name, string script)
    {
        var path = Path.Combine(dir, "docker-credential-" + name);
        File.WriteAllText(path, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r server\necho \"$server\" >> \"$0.calls\"\n" + script);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    [SkippableFact]
    public void Credential_helpers_are_asked_like_docker_asks_them_once_per_registry()
    {
        Skip.If(OperatingSystem.IsWindows(), "the stand-in helpers are shell scripts");
        var path = WriteConfig("""{"auths": {"ghcr.io": {}}, "credsStore": "store", "credHelpers": {"registry.example.com": "special"}}""");
        var dir = Path.GetDirectoryName(path)!;
        var store = FakeHelper(dir, "store", """
            case "$server" in
              ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"gh-user","Secret":"gh-pass"}' ;;
              https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hub-user","Secret":"hub-pass"}' ;;
              *) echo 'credentials not found in native keychain'; exit 1 ;;
            esac
            """);
        var special = FakeHelper(dir, "special", """echo '{"ServerURL":"x","Username":"<token>","Secret":"refresh"}'""");
        var creds = DockerConfigCredentials.Load(path, name => Path.Combine(dir, name) is var p && File.Exists(p) ? p : null);

        Assert.Equal(new RegistryCredential("gh-user", "gh-pass"), creds.Find("ghcr.io"));
        Assert.Equal(new RegistryCredential("gh-user", "gh-pass"), creds.Find("ghcr.io"));
        Assert.Equal(new RegistryCredential("hub-user", "hub-pass"), creds.Find("registry-1.docker.io"));
        Assert.Null(creds.Find("quay.io"));
        Assert.Equal(["ghcr.io", "https://index.docker.io/v1/", "quay.io"], File.ReadAllLines(store + ".calls"));
        var token = Assert.Throws<RegistryException>(() => creds.Find("registry.example.com"));
        Assert.Equal(RegistryErrorKind.Configuration, token.Kind);
        Assert.Contains("OAuth identity token", token.Message);
        Assert.Equal(["registry.example.com"], File.ReadAllLines(special + ".calls"));
    }

    [Fact]
    public void A_credential_helper_missing_from_path_says_what_to_install()
    {
        var path = WriteConfig("""{"credsStore": "desktop"}""");
        var e = Assert.Throws<RegistryException>(() => DockerConfigCredentials.Load(path, _ => null).Find("ghcr.io"));
        Assert.Equal(RegistryErrorKind.Configuration, e.Kind);
        Assert.Contains("docker-credential-desktop, which is not on PATH", e.Message);
        Assert.Contains("docker login ghcr.io", e.Message);
    }

    [Fact]
    public void A_missing_docker_config_means_anonymous_and_a_broken_one_says_where()
    {
        Assert.Null(DockerConfigCredentials.Load("/nonexistent/devk8s/config.json").Find("docker.io"));
        var broken = WriteConfig("{ not json");
        var e = Assert.Throws<RegistryException>(() => DockerConfigCredentials.Load(broken));
        Assert.Contains(broken, e.Message);
    }

    [Fact]
    public void Registry_error_json_is_surfaced_with_what_to_do()
    {
        var errors = RegistryException.ParseErrors("""{"errors":[{"code":"DENIED","message":"requested access to the resource is denied","detail":null}]}""");
        Assert.Equal([new RegistryError("DENIED", "requested access to the resource is denied")], errors);
        Assert.Empty(RegistryException.ParseErrors("<html>502</html>"));
    }
}
