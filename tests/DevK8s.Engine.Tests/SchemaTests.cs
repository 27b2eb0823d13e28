using System.Text.Json.Nodes;
using DevK8s.Engine.Config;
using Xunit;

namespace DevK8s.Engine.Tests;

/// <summary>The editor schema and the parser must accept exactly the same keys.</summary>
public class SchemaTests
{
    private static readonly JsonObject Schema = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "module", "devk8s.schema.json")))!;

    private static string[] Keys(JsonNode? node) => ((JsonObject)node!["properties"]!).Select(p => p.Key).Order().ToArray();

    [Fact]
    public void Schema_keys_match_the_parser_keys()
    {
        var d = Schema["definitions"]!;
        Assert.Equal(ConfigLoader.RootKeys.Order(), Keys(Schema));
        Assert.Equal(ConfigLoader.ServiceKeys.Order(), Keys(d["service"]));
        Assert.Equal(ConfigLoader.ImageKeys.Order(), Keys(d["image"]));
        Assert.Equal(ConfigLoader.SyncKeys.Order(), Keys(d["sync"]));
        Assert.Equal(ConfigLoader.SyncPathKeys.Order(), Keys(d["sync"]!["properties"]!["paths"]!["items"]));
        Assert.Equal(ConfigLoader.SyncRuleKeys.Order(), Keys(d["sync"]!["properties"]!["onChange"]!["items"]));
        Assert.Equal(ConfigLoader.BinaryKeys.Order(), Keys(d["binary"]));
        Assert.Equal(ConfigLoader.InterceptKeys.Order(), Keys(d["intercept"]));
    }

    [Fact]
    public void Schema_strategy_names_match_the_enum()
    {
        var names = ((JsonArray)Schema["definitions"]!["service"]!["properties"]!["strategy"]!["enum"]!).Select(n => n!.GetValue<string>());
        Assert.Equal(Enum.GetNames<Strategy>().Select(n => n.ToLowerInvariant()), names);
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DevK8s.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
