using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DevK8s.Engine.Yaml;

/// <summary>
/// Converts a YAML tree to JSON with YAML 1.2 core-schema typing for plain scalars, so a manifest
/// is sent to the API server exactly as kubectl would send it (quoted "8080" stays a string).
/// </summary>
public static partial class YamlToJson
{
    public static JsonNode? Convert(YNode? node) => node switch
    {
        null => null,
        YScalar s => ConvertScalar(s),
        YSequence seq => new JsonArray(seq.Items.Select(Convert).ToArray()),
        YMapping map => ConvertMapping(map),
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    private static JsonObject ConvertMapping(YMapping map)
    {
        var obj = new JsonObject();
        foreach (var entry in map.Entries)
        {
            if (entry.Key.Value == "<<" && entry.Key.Plain)
            {
                // Merge keys: explicit keys win over merged ones.
                foreach (var merged in entry.Value is YSequence seq ? seq.Items : [entry.Value])
                    if (Convert(merged) is JsonObject source)
                        foreach (var (k, v) in source)
                            if (!obj.ContainsKey(k)) obj[k] = v?.DeepClone();
                continue;
            }
            obj[entry.Key.Value] = Convert(entry.Value);
        }
        return obj;
    }

    private static JsonNode? ConvertScalar(YScalar s)
    {
        if (s.Tag is "tag:yaml.org,2002:str" or "!!str") return JsonValue.Create(s.Value);
        if (!s.Plain) return JsonValue.Create(s.Value);
        if (s.IsNull) return null;
        switch (s.Value)
        {
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (IntPattern().IsMatch(s.Value) && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (s.Value.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(s.Value[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
            return JsonValue.Create(hex);
        if (s.Value.StartsWith("0o", StringComparison.Ordinal))
        {
            try { return JsonValue.Create(System.Convert.ToInt64(s.Value[2..], 8)); } catch (FormatException) { }
        }
        if (FloatPattern().IsMatch(s.Value) && double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return JsonValue.Create(d);
        return JsonValue.Create(s.Value);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
