using DevK8s.Engine.Cluster;
using DevK8s.Engine.Config;
using DevK8s.Engine.Yaml;
using Xunit;

namespace DevK8s.Engine.Tests;

public class YamlToJsonTests
{
    private static string Json(string yaml) => YamlToJson.Convert(YamlTree.ParseDocuments(yaml)[0].Root)!.ToJsonString();

    [Fact]
    public void Types_plain_scalars_by_the_core_schema_and_keeps_quoted_ones_as_strings()
    {
        Assert.Equal("""{"a":8080,"b":"8080","c":true,"d":"true","e":null,"f":1.5,"g":"1.2.3","h":-3,"i":"~","j":"0x1F","k":31}""",
            Json("a: 8080\nb: \"8080\"\nc: true\nd: 'true'\ne: ~\nf: 1.5\ng: 1.2.3\nh: -3\ni: '~'\nj: '0x1F'\nk: 0x1F\n"));
    }

    [Fact]
    public void Resolves_anchors_aliases_and_merge_keys()
    {
        Assert.Equal("""{"base":{"x":1,"y":2},"derived":{"x":1,"y":3}}""",
            Json("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n"));
    }

    [Fact]
    public void Block_scalars_keep_their_text()
    {
        Assert.Equal("""{"script":"echo a\necho b\n"}""", Json("script: |\n  echo a\n  echo b\n"));
    }
}

public class ManifestReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-manifests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_folders_of_multi_document_files_in_name_order_with_their_source_lines()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "k8s", "sub"));
        File.WriteAllText(Path.Combine(_dir, "k8s", "b.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n");
        File.WriteAllText(Path.Combine(_dir, "k8s", "a.yml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: other}\n");
        File.WriteAllText(Path.Combine(_dir, "k8s", "sub", "list.json"), """{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}]}""");
        File.WriteAllText(Path.Combine(_dir, "k8s", "notes.txt"), "not a manifest");
        var objects = ManifestReader.Read([Path.Combine(_dir, "k8s")]);
        Assert.Equal(new[] { "ConfigMap/cfg", "Service/api", "Deployment/api", "Secret/s" }, objects.Select(o => o.ToString()));
        Assert.Equal("other", objects[0].Namespace);
        Assert.Equal(6, objects[2].Line);
        Assert.EndsWith("b.yaml:6", objects[2].Source);
        Assert.Equal(new[] { "Secret/s", "ConfigMap/cfg", "Service/api", "Deployment/api" }, ManifestApplier.Order(objects).Select(o => o.ToString()));
    }

    [Fact]
    public void Reports_every_broken_document_with_its_position()
    {
        var file = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(file, "apiVersion: v1\nkind: Service\n---\n- a list\n");
        var e = Assert.Throws<ConfigException>(() => ManifestReader.Read([file]));
        Assert.Equal(2, e.Errors.Count);
        Assert.Equal((1, "the object has no metadata.name"), (e.Errors[0].Line, e.Errors[0].Message));
        Assert.Equal(4, e.Errors[1].Line);
    }
}

public class PortProtocolTests
{
    [Fact]
    public void Ports_without_a_protocol_get_the_API_servers_default_and_others_are_left_alone()
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse("""
            {"spec":{"ports":[{"port":80},{"port":53,"protocol":"UDP"}],
             "template":{"spec":{"containers":[{"ports":[{"containerPort":8080,"name":"http"}]}]}},
             "other":{"ports":[{"name":"no-port-field"}]}}}
            """);
        ManifestApplier.DefaultPortProtocols(body);
        Assert.Equal("""{"spec":{"ports":[{"port":80,"protocol":"TCP"},{"port":53,"protocol":"UDP"}],"template":{"spec":{"containers":[{"ports":[{"containerPort":8080,"name":"http","protocol":"TCP"}]}]}},"other":{"ports":[{"name":"no-port-field"}]}}}""",
            body!.ToJsonString());
    }
}
