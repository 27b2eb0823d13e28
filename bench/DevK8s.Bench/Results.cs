using System.Text.Json;
using System.Text.Json.Nodes;

namespace DevK8s.Bench;

/// <summary>bench/results/latest.json: one flat object of top-level numbers (ms unless the key says otherwise), merged run by run.</summary>
internal static class Results
{
    public static string JsonPath => Path.Combine(RepoRoot(), "bench", "results", "latest.json");

    public static void Merge(IReadOnlyDictionary<string, double> figures)
    {
        var path = JsonPath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var o = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : new JsonObject();
        // Sub-10 figures (latencies under a millisecond) keep the two decimals their table shows.
        foreach (var (k, v) in figures) o[k] = Math.Round(v, Math.Abs(v) < 10 ? 2 : 1);
        var sorted = new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        File.WriteAllText(path, sorted.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DevK8s.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
