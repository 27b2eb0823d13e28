using DevK8s.Engine.Image;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

public class LocalRegistryHostingTests
{
    [Fact]
    public void Parses_all_v1_fields()
    {
        var h = LocalRegistryHosting.Parse("""
            host: "localhost:5001"
            hostFromContainerRuntime: "kind-registry:5000"
            hostFromClusterNetwork: "kind-registry.default.svc:5000"
            help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
            """);
        Assert.Equal(new LocalRegistryHosting("localhost:5001", "kind-registry:5000", "kind-registry.default.svc:5000", "https://kind.sigs.k8s.io/docs/user/local-registry/"), h);
    }

    [Fact]
    public void Runtime_host_defaults_to_host_and_unknown_fields_are_ignored()
    {
        var h = LocalRegistryHosting.Parse("host: 127.0.0.1:5000\nfutureField: x\n");
        Assert.Equal("127.0.0.1:5000", h!.HostFromContainerRuntime);
        Assert.Null(h.HostFromClusterNetwork);
        var (push, pull) = h.Repositories("devk8s/web");
        Assert.Equal("127.0.0.1:5000/devk8s/web", push.Name);
        Assert.Equal(push.Name, pull.Name);
    }

    [Fact]
    public void No_host_means_no_usable_registry_and_bad_yaml_says_so()
    {
        Assert.Null(LocalRegistryHosting.Parse("help: https://example.com\n"));
        Assert.Null(LocalRegistryHosting.Parse(""));
        Assert.Contains("not valid YAML", Assert.Throws<FormatException>(() => LocalRegistryHosting.Parse("host: [unclosed")).Message);
    }

    [Fact]
    public void The_published_host_may_be_spoken_to_over_plain_http()
    {
        var h = LocalRegistryHosting.Parse("host: kind-registry:5000\n")!;
        using var client = new RegistryClient(h.AllowPlainHttp(new RegistryClientOptions()));
        Assert.Equal("http", client.SchemeFor("kind-registry:5000"));
        Assert.Equal("https", client.SchemeFor("other-registry:5000"));
    }
}
