using DevK8s.Engine.Config;
using Xunit;

namespace DevK8s.Engine.Tests;

public class ConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ProjectConfig Load(string yaml)
    {
        var file = Path.Combine(_dir, "devk8s.yaml");
        File.WriteAllText(file, yaml);
        return ConfigLoader.Load(file);
    }

    [Fact]
    public void Fills_in_defaults_for_a_minimal_service()
    {
        var project = Load("services:\n  api:\n");
        var api = Assert.Single(project.Services);
        Assert.Equal(new WorkloadRef("deployment", "api"), api.Workload);
        Assert.Null(api.Container);
        Assert.Null(api.DefaultStrategy);
        Assert.Empty(api.Strategies);
        Assert.Null(project.Namespace);
        Assert.StartsWith("devk8s-config-", project.Name.Replace('_', '-'), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Reads_every_section_of_the_full_schema()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "k8s"));
        Directory.CreateDirectory(Path.Combine(_dir, "services", "web"));
        File.WriteAllText(Path.Combine(_dir, "services", "Dockerfile"), "FROM scratch");
        var project = Load("""
            version: 1
            name: shop
            namespace: shop-dev
            context: kind-dev
            manifests: [k8s]
            services:
              api:
                workload: sts/api-db
                container: server
                strategy: intercept
                image:
                  repository: 127.0.0.1:5000/shop/api
                  context: services
                  dockerfile: services/Dockerfile
                  builder: podman
                  buildArgs: { PROFILE: release }
                  prebuild: [cargo, build, --release]
                binary:
                  build: cargo build --release --bin api
                  artifact: target/release/api
                  target: /usr/local/bin/api
                  command: [/usr/local/bin/api, --port, "8080"]
                intercept:
                  ports: ["8080:http", "9090"]
                  command: cargo run --bin api
                  env: { RUST_LOG: debug, PORT: "8080" }
                  engine: telepresence
                  telepresence: /opt/telepresence
              web:
                sync:
                  paths:
                    - from: services/web
                      to: /app/
                  exclude: ["__pycache__/"]
                  useGitignore: false
                  debounceMs: 10
                  onChange:
                    - match: "*.py"
                    - match: requirements.txt
                      command: pip install -r /app/requirements.txt
                    - match: "static/**"
                      action: none
            """);
        Assert.Equal(("shop", "shop-dev", "kind-dev"), (project.Name, project.Namespace, project.Context));
        Assert.Equal(Path.Combine(_dir, "k8s"), Assert.Single(project.Manifests));

        var api = project.FindService("API")!;
        Assert.Equal(new WorkloadRef("statefulset", "api-db"), api.Workload);
        Assert.Equal("server", api.Container);
        Assert.Equal(Strategy.Intercept, api.DefaultStrategy);
        Assert.Equal(new[] { Strategy.Image, Strategy.Binary, Strategy.Intercept }, api.Strategies);
        Assert.Equal("podman", api.Image!.Builder);
        Assert.Equal(Path.Combine(_dir, "services"), api.Image.Context);
        Assert.Equal("release", api.Image.BuildArgs["PROFILE"]);
        Assert.Equal(new[] { "cargo", "build", "--release" }, api.Image.Prebuild!.Argv);
        Assert.Equal("cargo build --release --bin api", api.Binary!.Build.Shell);
        Assert.Equal(Path.Combine(_dir, "target", "release", "api"), api.Binary.Artifact);
        Assert.Equal(new[] { "/usr/local/bin/api", "--port", "8080" }, api.Binary.Command!.Argv);
        Assert.Equal(new[] { "8080:http", "9090" }, api.Intercept!.Ports);
        Assert.Equal("8080", api.Intercept.Env["PORT"]);
        Assert.Equal(InterceptEngine.Telepresence, api.Intercept.Engine);

        var web = project.FindService("web")!;
        Assert.Equal(Strategy.Sync, web.DefaultStrategy);
        Assert.Equal("/app", web.Sync!.Paths[0].To);
        Assert.Equal(Path.Combine(_dir, "services", "web"), web.Sync.Paths[0].From);
        Assert.Equal(new[] { SyncAction.Restart, SyncAction.Run, SyncAction.None }, web.Sync.OnChange.Select(r => r.Action));
        Assert.False(web.Sync.UseGitignore);
        Assert.Equal(10, web.Sync.DebounceMs);
    }

    [Fact]
    public void The_fastest_configured_loop_is_the_default_strategy()
    {
        var project = Load("services:\n  a:\n    image: {repository: r}\n    intercept: {command: run}\n  b:\n    image: {repository: r}\n");
        Assert.Equal(Strategy.Intercept, project.FindService("a")!.DefaultStrategy);
        Assert.Equal(Strategy.Image, project.FindService("b")!.DefaultStrategy);
    }

    [Fact]
    public void Anchors_and_aliases_are_resolved()
    {
        var project = Load("services:\n  a: &svc\n    intercept: { command: run, env: { A: '1' } }\n  b: *svc\n");
        Assert.Equal("1", project.FindService("b")!.Intercept!.Env["A"]);
    }

    [Fact]
    public void Locator_walks_up_like_git_and_stops_at_the_nearest_config()
    {
        File.WriteAllText(Path.Combine(_dir, "devk8s.yaml"), "services: {api: }\n");
        var deep = Directory.CreateDirectory(Path.Combine(_dir, "a", "b", "c")).FullName;
        Assert.Equal(Path.Combine(_dir, "devk8s.yaml"), ProjectLocator.Find(deep));
        File.WriteAllText(Path.Combine(_dir, "a", "devk8s.yaml"), "services: {web: }\n");
        Assert.Equal(Path.Combine(_dir, "a", "devk8s.yaml"), ProjectLocator.Find(deep));
    }

    [Fact]
    public void Locator_explains_what_to_do_when_nothing_is_found()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ProjectLocator.Resolve(null, _dir));
        Assert.Contains("No devk8s.yaml in " + _dir, e.Message);
        Assert.Contains("pass -Path", e.Message);
    }
}

public class SampleConfigTests
{
    [Fact]
    public void The_sample_projects_config_is_valid_and_describes_every_strategy()
    {
        var project = ConfigLoader.Load(Path.Combine(SchemaTests.RepoRoot(), "examples", "sample", "devk8s.yaml"));
        Assert.Equal(new[] { "catalog", "gateway", "web" }, project.Services.Select(s => s.Name));
        Assert.Equal(Enum.GetValues<Strategy>().Order(), project.Services.SelectMany(s => s.Strategies).Distinct().Order());
        Assert.Equal(Strategy.Sync, project.FindService("web")!.DefaultStrategy);
    }
}
