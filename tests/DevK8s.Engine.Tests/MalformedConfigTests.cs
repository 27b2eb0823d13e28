using DevK8s.Engine.Config;
using Xunit;

namespace DevK8s.Engine.Tests;

/// <summary>Every bad config names file:line:column, the key, and what is wrong.</summary>
public class MalformedConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-config-").FullName;

    public MalformedConfigTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "k8s"));
        Directory.CreateDirectory(Path.Combine(_dir, "web"));
        File.WriteAllText(Path.Combine(_dir, "Dockerfile"), "FROM scratch\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ConfigException Fail(string yaml)
    {
        var file = Path.Combine(_dir, "devk8s.yaml");
        File.WriteAllText(file, yaml);
        return Assert.Throws<ConfigException>(() => ConfigLoader.Load(file));
    }

    // (yaml, line, column, key, message fragment)
    public static TheoryData<string, string, int, int, string, string> Cases => new()
    {
        { "bad-indent", "services:\n  api:\n    strategy: sync\n   container: x\n", 4, 4, "", "invalid YAML" },
        { "unclosed-quote", "namespace: \"shop\nservices:\n  api: {}\n", 1, 12, "", "invalid YAML" },
        { "tab-indent", "services:\n\tapi: {}\n", 2, 1, "", "invalid YAML" },
        { "empty-file", "", 1, 1, "", "the file is empty" },
        { "root-is-list", "- api\n- web\n", 1, 1, "", "expected a mapping" },
        { "unknown-root-key", "namespce: shop\nservices:\n  api: {}\n", 1, 1, "namespce", "unknown key 'namespce' (did you mean 'namespace'?)" },
        { "unknown-service-key", "services:\n  api:\n    strategie: sync\n", 3, 5, "services.api.strategie", "did you mean 'strategy'?" },
        { "unknown-sync-key", "services:\n  web:\n    sync:\n      paths: [{from: web, to: /app}]\n      excludes: [x]\n", 5, 7, "services.web.sync.excludes", "did you mean 'exclude'?" },
        { "no-services", "namespace: shop\n", 1, 1, "services", "at least one service is required" },
        { "services-is-list", "services:\n  - api\n", 2, 3, "services", "expected a mapping" },
        { "duplicate-service", "services:\n  api: {}\n  web: {}\n  api: {}\n", 4, 3, "services.api", "duplicate key 'api' (first at line 2)" },
        { "duplicate-key", "namespace: a\nnamespace: b\nservices:\n  api: {}\n", 2, 1, "namespace", "duplicate key 'namespace'" },
        { "bad-service-name", "services:\n  Api_Server: {}\n", 2, 3, "services.Api_Server", "lowercase DNS label" },
        { "bad-strategy", "services:\n  api:\n    strategy: rebuild\n    image: {repository: r}\n", 3, 15, "services.api.strategy", "'rebuild' is not one of image, sync, binary, intercept" },
        { "strategy-typo", "services:\n  api:\n    strategy: snyc\n", 3, 15, "services.api.strategy", "did you mean 'sync'?" },
        { "strategy-without-section", "services:\n  api:\n    strategy: binary\n", 3, 15, "services.api.strategy", "strategy 'binary' needs a 'binary' section" },
        { "missing-workload-name", "services:\n  api:\n    workload: deployment/\n", 3, 15, "services.api.workload", "must be deployment/<name> or statefulset/<name>" },
        { "empty-workload", "services:\n  api:\n    workload: ''\n", 3, 15, "services.api.workload", "must not be empty" },
        { "bad-workload-kind", "services:\n  api:\n    workload: daemonset/api\n", 3, 15, "services.api.workload", "must be deployment/<name>" },
        { "wrong-type-version", "version: one\nservices:\n  api: {}\n", 1, 10, "version", "expected an integer" },
        { "unsupported-version", "version: 2\nservices:\n  api: {}\n", 1, 10, "version", "version 2 is not supported" },
        { "bad-namespace", "namespace: Shop_Prod\nservices:\n  api: {}\n", 1, 12, "namespace", "not a valid namespace name" },
        { "manifests-not-list", "manifests: k8s\nservices:\n  api: {}\n", 1, 12, "manifests", "expected a list of files or folders" },
        { "manifest-missing", "manifests: [k8s, prod.yaml]\nservices:\n  api: {}\n", 1, 18, "manifests[1]", "'prod.yaml' does not exist" },
        { "manifest-escapes", "manifests: [../other]\nservices:\n  api: {}\n", 1, 13, "manifests[0]", "escapes the project folder" },
        { "manifest-absolute", "manifests: [/etc/kubernetes]\nservices:\n  api: {}\n", 1, 13, "manifests[0]", "must be relative to the project folder" },
        { "sync-from-escapes", "services:\n  web:\n    sync:\n      paths:\n        - from: ../../etc\n          to: /app\n", 5, 17, "services.web.sync.paths[0].from", "escapes the project folder" },
        { "sync-to-relative", "services:\n  web:\n    sync:\n      paths:\n        - from: web\n          to: app\n", 6, 15, "services.web.sync.paths[0].to", "must be an absolute path in the container" },
        { "sync-to-root", "services:\n  web:\n    sync:\n      paths:\n        - from: web\n          to: /\n", 6, 15, "services.web.sync.paths[0].to", "must not be the container's root folder" },
        { "sync-to-dotdot", "services:\n  web:\n    sync:\n      paths:\n        - from: web\n          to: /app/../etc\n", 6, 15, "services.web.sync.paths[0].to", "must not contain '.' or '..'" },
        { "sync-no-paths", "services:\n  web:\n    sync:\n      exclude: [x]\n", 4, 7, "services.web.sync.paths", "at least one { from, to } mapping is required" },
        { "sync-bad-action", "services:\n  web:\n    sync:\n      paths: [{from: web, to: /app}]\n      onChange:\n        - match: '*.py'\n          action: reboot\n", 7, 19, "services.web.sync.onChange[0].action", "'reboot' is not one of none, restart, run" },
        { "sync-run-without-command", "services:\n  web:\n    sync:\n      paths: [{from: web, to: /app}]\n      onChange:\n        - match: req.txt\n          action: run\n", 6, 11, "services.web.sync.onChange[0].command", "is required" },
        { "sync-exclude-not-list", "services:\n  web:\n    sync:\n      paths: [{from: web, to: /app}]\n      exclude: {a: b}\n", 5, 16, "services.web.sync.exclude", "expected a list of strings" },
        { "sync-debounce-range", "services:\n  web:\n    sync:\n      paths: [{from: web, to: /app}]\n      debounceMs: 60000\n", 5, 19, "services.web.sync.debounceMs", "must be between 0 and 10000" },
        { "bool-wrong-type", "services:\n  web:\n    sync:\n      paths: [{from: web, to: /app}]\n      useGitignore: 'yes'\n", 5, 21, "services.web.sync.useGitignore", "expected true or false" },
        { "binary-missing-target", "services:\n  api:\n    binary:\n      build: cargo build\n      artifact: target/release/api\n", 4, 7, "services.api.binary.target", "is required" },
        { "binary-missing-build", "services:\n  api:\n    binary:\n      artifact: a\n      target: /usr/bin/a\n", 4, 7, "services.api.binary.build", "is required" },
        { "binary-empty-command-list", "services:\n  api:\n    binary:\n      build: []\n      artifact: a\n      target: /usr/bin/a\n", 4, 14, "services.api.binary.build", "must not be an empty list" },
        { "binary-watch-not-a-list", "services:\n  api:\n    binary:\n      build: make\n      artifact: a\n      target: /usr/bin/a\n      watch: src/\n", 7, 14, "services.api.binary.watch", "expected a list of strings" },
        { "binary-watch-escapes", "services:\n  api:\n    binary:\n      build: make\n      artifact: a\n      target: /usr/bin/a\n      watch: [src/, ../shared/]\n", 7, 21, "services.api.binary.watch[1]", "must not contain '..'" },
        { "binary-watch-absolute", "services:\n  api:\n    binary:\n      build: make\n      artifact: a\n      target: /usr/bin/a\n      watch:\n        - ~/src\n", 8, 11, "services.api.binary.watch[0]", "relative to the project folder" },
        { "binary-artifact-escapes", "services:\n  api:\n    binary:\n      build: make\n      artifact: ../out/api\n      target: /usr/bin/a\n", 5, 17, "services.api.binary.artifact", "escapes the project folder" },
        { "image-base-without-layers", "services:\n  api:\n    image:\n      base: r/base:1\n", 4, 13, "services.api.image.base", "a base needs 'layers'" },
        { "image-layers-without-base", "services:\n  api:\n    image:\n      layers: [{from: a, to: /a}]\n", 4, 15, "services.api.image.layers", "layers need a 'base' image" },
        { "image-layer-relative-to", "services:\n  api:\n    image:\n      base: r/base:1\n      layers: [{from: a, to: usr/bin/a}]\n", 5, 30, "services.api.image.layers[0].to", "must be an absolute path in the container" },
        { "image-base-with-dockerfile", "services:\n  api:\n    image:\n      base: r/base:1\n      layers: [{from: a, to: /a}]\n      builder: docker\n", 6, 16, "services.api.image.builder", "does not apply with 'base' and 'layers'" },
        { "image-bad-base", "services:\n  api:\n    image:\n      base: Not A Ref\n      layers: [{from: a, to: /a}]\n", 4, 13, "services.api.image.base", "invalid" },
        { "image-repository-with-tag", "services:\n  api:\n    image:\n      repository: Registry/API:latest\n", 4, 19, "services.api.image.repository", "is not an image repository" },
        { "image-bad-builder", "services:\n  api:\n    image:\n      repository: r\n      builder: kaniko\n", 5, 16, "services.api.image.builder", "'kaniko' is not one of auto, docker" },
        { "image-dockerfile-missing", "services:\n  api:\n    image:\n      repository: r\n      dockerfile: nope/Dockerfile\n", 5, 19, "services.api.image.dockerfile", "does not exist" },
        { "intercept-bad-port", "services:\n  api:\n    intercept:\n      ports: ['80:80:80']\n      command: cargo run\n", 4, 15, "services.api.intercept.ports[0]", "must be LOCAL or LOCAL:SERVICE_PORT" },
        { "intercept-port-range", "services:\n  api:\n    intercept:\n      ports: ['70000']\n      command: cargo run\n", 4, 15, "services.api.intercept.ports[0]", "must be LOCAL or LOCAL:SERVICE_PORT" },
        { "intercept-no-command", "services:\n  api:\n    intercept:\n      ports: ['8080']\n", 4, 7, "services.api.intercept.command", "is required" },
        { "intercept-env-not-map", "services:\n  api:\n    intercept:\n      command: run\n      env: [A=B]\n", 5, 12, "services.api.intercept.env", "expected a mapping" },
        { "intercept-bad-engine", "services:\n  api:\n    intercept:\n      engine: mirrord\n      command: run\n", 4, 15, "services.api.intercept.engine", "'mirrord' is not one of builtin, telepresence" },
        { "intercept-telepresence-path-builtin", "services:\n  api:\n    intercept:\n      telepresence: /opt/tp\n      command: run\n", 4, 21, "services.api.intercept.telepresence", "add 'engine: telepresence'" },
        { "intercept-env-nested", "services:\n  api:\n    intercept:\n      command: run\n      env: {A: {b: c}}\n", 5, 16, "services.api.intercept.env.A", "expected a string value" },
        { "two-documents", "services:\n  api: {}\n---\nservices:\n  web: {}\n", 3, 1, "", "only one YAML document is allowed" },
        { "unknown-alias", "services:\n  api: *base\n", 2, 8, "", "unknown alias" },
        { "container-empty", "services:\n  api:\n    container: ''\n", 3, 16, "services.api.container", "must not be empty" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reports_the_error_with_file_line_column_and_key(string name, string yaml, int line, int column, string key, string message)
    {
        var e = Fail(yaml);
        var match = e.Errors.FirstOrDefault(x => x.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(match is not null, $"{name}: no error containing \"{message}\" in:\n{e.Message}");
        Assert.Equal((line, column, key), (match!.Line, match.Column, match.Key));
        Assert.Equal(Path.Combine(_dir, "devk8s.yaml"), match.File);
        Assert.Contains($"devk8s.yaml:{line}:{column}: ", match.ToString());
    }

    [Fact]
    public void Reports_every_error_of_a_file_at_once_in_line_order()
    {
        var e = Fail("namespce: shop\nservices:\n  api:\n    strategie: sync\n  web:\n    workload: nope\n  api: {}\n");
        Assert.Equal(new[] { 1, 4, 6, 7 }, e.Errors.Select(x => x.Line).ToArray());
        Assert.StartsWith("4 errors in ", e.Message);
    }

    [Fact]
    public void An_unreadable_path_is_an_error_not_a_crash()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.Combine(_dir, "missing", "devk8s.yaml")));
        Assert.Contains("cannot read the file", e.Errors[0].Message);
    }
}
