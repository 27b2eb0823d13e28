using DevK8s.Engine.Image;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

public class ImageReferenceTests
{
    private const string D = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "latest", null)]
    [InlineData("team/api:1.2", "docker.io", "team/api", "1.2", null)]
    [InlineData("docker.io/busybox", "docker.io", "library/busybox", "latest", null)]
    [InlineData("index.docker.io/team/api", "docker.io", "team/api", "latest", null)]
    [InlineData("127.0.0.1:5000/devk8s-base/bookworm:1", "127.0.0.1:5000", "devk8s-base/bookworm", "1", null)]
    [InlineData("localhost/api", "localhost", "api", "latest", null)]
    [InlineData("localhost:5000/api", "localhost:5000", "api", "latest", null)]
    [InlineData("ghcr.io/org/sub/img:v1.0-rc_2", "ghcr.io", "org/sub/img", "v1.0-rc_2", null)]
    [InlineData("registry.example.com:443/a__b/c-d.e@" + D, "registry.example.com:443", "a__b/c-d.e", null, D)]
    [InlineData("api:dev@" + D, "docker.io", "library/api", "dev", D)]
    public void Parses_like_docker(string text, string registry, string repository, string? tag, string? digest)
    {
        var r = ImageReference.Parse(text);
        Assert.Equal((registry, repository, tag, digest), (r.Registry, r.Repository, r.Tag, r.Digest));
    }

    [Fact]
    public void Docker_hub_is_reached_on_its_api_host_and_a_digest_wins_over_the_tag()
    {
        var hub = ImageReference.Parse("busybox:1@" + D);
        Assert.Equal("registry-1.docker.io", hub.ApiHost);
        Assert.Equal(D, hub.ManifestReference);
        Assert.Equal("docker.io/library/busybox:1@" + D, hub.ToString());
        Assert.Equal("127.0.0.1:5000", ImageReference.Parse("127.0.0.1:5000/x").ApiHost);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Team/API", "invalid repository name")]
    [InlineData("api:-bad", "invalid tag")]
    [InlineData("api@sha256:xyz", "invalid digest")]
    [InlineData("127.0.0.1:5000/", "invalid repository name")]
    public void Bad_references_say_what_is_wrong(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => ImageReference.Parse(text)).Message);
}
