using DevK8s.Engine.Config;
using DevK8s.Engine.Image;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

/// <summary>
/// The content tag and .dockerignore as Docker reads them: the tag moves exactly when something
/// that goes into the image moves, so an unchanged input can skip build and push.
/// </summary>
public class ContentTagTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-tag-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string rel, string text)
    {
        var path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Dockerignore_exceptions_bring_back_files_under_an_excluded_folder_unlike_gitignore()
    {
        // The sample's own .dockerignore: everything out, then the two binaries and the web sources back in.
        var ignore = DockerIgnore.Parse(["*", "!target/release/catalog", "!services/web", "services/web/Dockerfile", "**/__pycache__"]);
        Assert.False(ignore.IsExcluded("target/release/catalog"));
        Assert.True(ignore.IsExcluded("target/release/catalog.d"));
        Assert.True(ignore.IsExcluded("target/debug/catalog"));
        Assert.False(ignore.IsExcluded("services/web/server.py"));
        Assert.True(ignore.IsExcluded("services/web/Dockerfile"));
        Assert.True(ignore.IsExcluded("services/web/__pycache__/x.pyc"));
        Assert.True(ignore.IsExcluded("Cargo.toml"));
        Assert.True(ignore.MayHoldExceptions("target"));
        Assert.False(ignore.MayHoldExceptions("target/debug"));
    }

    [Fact]
    public void Patterns_are_anchored_at_the_context_root_and_double_star_spans_folders()
    {
        var ignore = DockerIgnore.Parse(["# comment", "/build", "docs/*.md", "**/*.tmp", "!keep.tmp"]);
        Assert.True(ignore.IsExcluded("build/out.o"));
        Assert.False(ignore.IsExcluded("src/build/out.o")); // anchored: unlike gitignore
        Assert.True(ignore.IsExcluded("docs/a.md"));
        Assert.False(ignore.IsExcluded("docs/sub/a.md"));
        Assert.True(ignore.IsExcluded("a/b/c.tmp"));
        Assert.True(ignore.IsExcluded("x.tmp"));
        Assert.False(ignore.IsExcluded("keep.tmp"));
    }

    [Fact]
    public void The_tag_follows_the_sent_files_the_dockerfile_and_build_args_and_ignores_the_rest()
    {
        var dockerfile = Write("Dockerfile", "FROM scratch\nCOPY site /site\n");
        Write(".dockerignore", "*.log\n");
        Write("site/index.html", "one");
        var args = new Dictionary<string, string> { ["MODE"] = "dev" };
        var first = ContentTag.ForDockerfile(_dir, dockerfile, args, "docker");
        Assert.Matches("^devk8s-[0-9a-f]{16}$", first.Tag);
        Assert.Equal(first.Tag, ContentTag.ForDockerfile(_dir, dockerfile, args, "docker").Tag);

        Write("debug.log", "excluded");
        Assert.Equal(first.Tag, ContentTag.ForDockerfile(_dir, dockerfile, args, "docker").Tag);

        var path = Write("site/index.html", "two");
        var second = ContentTag.ForDockerfile(_dir, dockerfile, args, "docker").Tag;
        Assert.NotEqual(first.Tag, second);
        // Same size, same second: the content still decides once the mtime moved.
        File.WriteAllText(path, "one");
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(first.Tag, ContentTag.ForDockerfile(_dir, dockerfile, args, "docker").Tag);

        Assert.NotEqual(first.Tag, ContentTag.ForDockerfile(_dir, dockerfile, new Dictionary<string, string> { ["MODE"] = "prod" }, "docker").Tag);
        Write("Dockerfile", "FROM scratch\nCOPY site /srv\n");
        Assert.NotEqual(first.Tag, ContentTag.ForDockerfile(_dir, dockerfile, args, "docker").Tag);
    }

    [Fact]
    public void Layers_tag_on_base_files_destination_and_mode()
    {
        var binary = Write("target/api", "ELF");
        var a = ContentTag.ForLayers("r/base:1", [(binary, "/usr/local/bin/api")]).Tag;
        Assert.Equal(a, ContentTag.ForLayers("r/base:1", [(binary, "/usr/local/bin/api")]).Tag);
        Assert.NotEqual(a, ContentTag.ForLayers("r/base:2", [(binary, "/usr/local/bin/api")]).Tag);
        Assert.NotEqual(a, ContentTag.ForLayers("r/base:1", [(binary, "/bin/api")]).Tag);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(binary, File.GetUnixFileMode(binary) | UnixFileMode.UserExecute);
            Assert.NotEqual(a, ContentTag.ForLayers("r/base:1", [(binary, "/usr/local/bin/api")]).Tag);
        }
        var missing = Assert.Throws<FileNotFoundException>(() => ContentTag.ForLayers("r/base:1", [(Path.Combine(_dir, "nope"), "/x")]));
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public void The_image_section_without_repository_and_the_daemonless_form_load()
    {
        Write("target/release/api", "ELF");
        var file = Write("devk8s.yaml", """
            services:
              api:
                image:
                  base: 127.0.0.1:5000/devk8s-base/bookworm:1
                  layers:
                    - from: target/release/api
                      to: /usr/local/bin/api
                  prebuild: cargo build --release
                  rolloutTimeoutSeconds: 45
              web:
                image: { context: . }
            """);
        var project = ConfigLoader.Load(file);
        var api = project.FindService("api")!.Image!;
        Assert.True(api.Daemonless);
        Assert.Null(api.Repository);
        Assert.Equal("127.0.0.1:5000/devk8s-base/bookworm:1", api.Base);
        Assert.Equal(new ImageLayerFile(Path.Combine(_dir, "target", "release", "api"), "/usr/local/bin/api"), Assert.Single(api.Layers));
        Assert.Equal(45, api.RolloutTimeoutSeconds);
        var web = project.FindService("web")!.Image!;
        Assert.False(web.Daemonless);
        Assert.Null(web.Repository);
        Assert.Equal(Strategy.Image, project.FindService("web")!.DefaultStrategy);
    }
}
