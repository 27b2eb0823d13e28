using System.Text.Json.Nodes;
using DevK8s.Engine.Config;
using DevK8s.Engine.Yaml;

namespace DevK8s.Engine.Cluster;

/// <summary>One object from a prod manifest, with where it came from.</summary>
public sealed record ManifestObject(string ApiVersion, string Kind, string Name, string? Namespace, JsonObject Body, string File, int Line)
{
    public string Source => $"{File}:{Line}";
    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>Reads prod manifests (files or folders of multi-document YAML or JSON) without changing them.</summary>
public static class ManifestReader
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    public static IReadOnlyList<ManifestObject> Read(IEnumerable<string> paths)
    {
        var objects = new List<ManifestObject>();
        var errors = new List<ConfigError>();
        foreach (var file in paths.SelectMany(Expand))
        {
            IReadOnlyList<(SourcePosition Start, YNode? Root)> documents;
            try { documents = YamlTree.ParseDocuments(File.ReadAllText(file)); }
            catch (YamlSyntaxError e)
            {
                errors.Add(new ConfigError(file, e.Position, "", $"invalid YAML: {e.Message}"));
                continue;
            }
            foreach (var (start, root) in documents)
            {
                if (root is null) continue;
                if (YamlToJson.Convert(root) is not JsonObject body)
                {
                    errors.Add(new ConfigError(file, root.Position, "", "a manifest document must be a mapping with apiVersion, kind and metadata"));
                    continue;
                }
                foreach (var item in Flatten(body))
                    if (ToObject(item, file, root.Position, errors) is { } obj) objects.Add(obj);
            }
        }
        if (errors.Count > 0) throw new ConfigException(errors);
        return objects;
    }

    private static IEnumerable<string> Expand(string path) =>
        Directory.Exists(path)
            ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Where(f => !Path.GetFileName(f).Equals(ConfigLoader.FileName, StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
            : [path];

    // "kind: List" documents (what `kubectl get -o yaml` writes) carry their objects in items.
    private static IEnumerable<JsonObject> Flatten(JsonObject body) =>
        body["kind"]?.GetValue<string>() is "List" && body["items"] is JsonArray items
            ? items.OfType<JsonObject>()
            : [body];

    private static ManifestObject? ToObject(JsonObject body, string file, SourcePosition at, List<ConfigError> errors)
    {
        string? Text(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var apiVersion = Text(body["apiVersion"]);
        var kind = Text(body["kind"]);
        var name = Text(body["metadata"]?["name"]);
        var missing = new[] { ("apiVersion", apiVersion), ("kind", kind), ("metadata.name", name) }.Where(p => string.IsNullOrEmpty(p.Item2)).Select(p => p.Item1).ToList();
        if (missing.Count > 0)
        {
            errors.Add(new ConfigError(file, at, "", $"the object has no {string.Join(", ", missing)}"));
            return null;
        }
        return new ManifestObject(apiVersion!, kind!, name!, Text(body["metadata"]?["namespace"]), body, file, at.Line);
    }
}
