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

    [Fact]
    public void Credential_helpers_are_reported_as_unsupported_not_treated_as_anonymous()
    {
        var path = WriteConfig("""{"auths": {"ghcr.io": {}}, "credsStore": "desktop", "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"}}""");
        var creds = DockerConfigCredentials.Load(path);
        var store = Assert.Throws<RegistryException>(() => creds.Find("ghcr.io"));
        Assert.Equal(RegistryErrorKind.Configuration, store.Kind);
        Assert.Contains("docker-credential-desktop", store.Message);
        Assert.Contains("DOCKER_CONFIG", store.Message);
        var helper = Assert.Throws<RegistryException>(() => creds.Find("123.dkr.ecr.us-east-1.amazonaws.com"));
        Assert.Contains("docker-credential-ecr-login", helper.Message);
        Assert.Null(creds.Find("quay.io"));
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
