using System.Globalization;
using System.Text.RegularExpressions;
using DevK8s.Engine.Yaml;

namespace DevK8s.Engine.Config;

/// <summary>
/// Typed access to a YAML tree that records an error (file:line:col, key path) instead of throwing,
/// so one pass reports every problem of a file.
/// </summary>
internal sealed partial class ConfigReader(string file, string projectDirectory)
{
    public List<ConfigError> Errors { get; } = [];
    public string File { get; } = file;

    public void Error(YNode at, string key, string message) => Errors.Add(new ConfigError(File, at.Position, key, message));

    /// <summary>Reads a mapping with a closed set of keys; unknown and duplicate keys are errors.</summary>
    public Dictionary<string, YEntry>? Mapping(YNode? node, string path, IReadOnlyCollection<string> allowed)
    {
        if (node is null) return null;
        if (node is not YMapping map)
        {
            Error(node, path, $"expected a mapping of {string.Join(", ", allowed)}, found {Describe(node)}");
            return null;
        }
        var result = new Dictionary<string, YEntry>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            var key = entry.Key.Value;
            var keyPath = Join(path, key);
            if (!allowed.Contains(key))
            {
                var hint = Suggest(key, allowed);
                Error(entry.Key, keyPath, $"unknown key '{key}'" + (hint is null ? $"; allowed: {string.Join(", ", allowed)}" : $" (did you mean '{hint}'?)"));
                continue;
            }
            if (!result.TryAdd(key, entry))
                Error(entry.Key, keyPath, $"duplicate key '{key}' (first at line {result[key].Key.Position.Line})");
        }
        return result;
    }

    /// <summary>A mapping whose keys are names chosen by the user (services, env, buildArgs).</summary>
    public List<YEntry> OpenMapping(YNode? node, string path)
    {
        if (node is null) return [];
        if (node is not YMapping map)
        {
            Error(node, path, $"expected a mapping, found {Describe(node)}");
            return [];
        }
        var seen = new Dictionary<string, YEntry>(StringComparer.Ordinal);
        var result = new List<YEntry>();
        foreach (var entry in map.Entries)
        {
            if (seen.TryGetValue(entry.Key.Value, out var first))
                Error(entry.Key, Join(path, entry.Key.Value), $"duplicate key '{entry.Key.Value}' (first at line {first.Key.Position.Line})");
            else
            {
                seen.Add(entry.Key.Value, entry);
                result.Add(entry);
            }
        }
        return result;
    }

    public static YNode? Get(Dictionary<string, YEntry>? map, string key) =>
        map is not null && map.TryGetValue(key, out var e) ? e.Value : null;

    public string? String(YNode? node, string path, bool required = false, YNode? parent = null)
    {
        if (node is null || node is YScalar { IsNull: true })
        {
            if (required) Error(node ?? parent!, path, "is required");
            return null;
        }
        if (node is not YScalar s)
        {
            Error(node, path, $"expected a string, found {Describe(node)}");
            return null;
        }
        if (required && s.Value.Length == 0)
        {
            Error(node, path, "must not be empty");
            return null;
        }
        return s.Value;
    }

    public int? Int(YNode? node, string path, int min, int max)
    {
        if (node is null) return null;
        if (node is YScalar { Plain: true } s && int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            if (v < min || v > max) { Error(node, path, $"must be between {min} and {max}, found {v}"); return null; }
            return v;
        }
        Error(node, path, $"expected an integer, found {Describe(node)}");
        return null;
    }

    public bool? Bool(YNode? node, string path)
    {
        if (node is null) return null;
        if (node is YScalar { Plain: true } s)
        {
            if (s.Value is "true" or "True" or "TRUE") return true;
            if (s.Value is "false" or "False" or "FALSE") return false;
        }
        Error(node, path, $"expected true or false, found {Describe(node)}");
        return null;
    }

    public T? Enum<T>(YNode? node, string path) where T : struct, System.Enum
    {
        var text = String(node, path);
        if (text is null) return null;
        if (System.Enum.TryParse<T>(text, ignoreCase: true, out var value) && !int.TryParse(text, out _))
            return value;
        var names = System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToArray();
        var hint = Suggest(text.ToLowerInvariant(), names);
        Error(node!, path, $"'{text}' is not one of {string.Join(", ", names)}" + (hint is null ? "" : $" (did you mean '{hint}'?)"));
        return null;
    }

    public List<string> StringList(YNode? node, string path)
    {
        if (node is null) return [];
        if (node is YScalar { IsNull: true }) return [];
        if (node is not YSequence seq)
        {
            Error(node, path, $"expected a list of strings, found {Describe(node)}");
            return [];
        }
        var list = new List<string>();
        for (var i = 0; i < seq.Items.Count; i++)
            if (String(seq.Items[i], $"{path}[{i}]", required: true) is { } s) list.Add(s);
        return list;
    }

    public Dictionary<string, string> StringMap(YNode? node, string path)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in OpenMapping(node, path))
        {
            var value = entry.Value is YScalar s && !s.IsNull ? s.Value : null;
            if (value is null) Error(entry.Value, Join(path, entry.Key.Value), $"expected a string value, found {Describe(entry.Value)}");
            else map[entry.Key.Value] = value;
        }
        return map;
    }

    /// <summary>A string is a shell line; a list is an argument vector.</summary>
    private static readonly string[] OsKeys = ["windows", "linux", "macos", "default"];

    /// <summary>
    /// A command: a shell line or an argument list. Commands run on the developer's machine
    /// (<paramref name="local"/>) may also be a mapping by OS (windows, linux, macos, default), since
    /// one shell line rarely works in both cmd.exe and sh; the current OS's entry (or default) is taken,
    /// every entry is checked.
    /// </summary>
    public CommandSpec? Command(YNode? node, string path, bool required = false, YNode? parent = null, bool local = false)
    {
        if (node is null || node is YScalar { IsNull: true })
        {
            if (required) Error(node ?? parent!, path, "is required (a shell line, or a list of arguments)");
            return null;
        }
        if (node is YMapping && local)
        {
            var byOs = Mapping(node, path, OsKeys);
            if (byOs is null) return null;
            var variants = OsKeys.ToDictionary(k => k, k => Get(byOs, k) is { } v ? Command(v, Join(path, k)) : null);
            var current = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : "linux";
            var chosen = variants[current] ?? variants["default"];
            if (chosen is null && Errors.Count == 0)
                Error(node, path, $"has no entry for {current} and no default; add '{current}:' or 'default:'");
            return chosen;
        }
        if (node is YMapping)
        {
            Error(node, path, "runs in the container: give one shell line or argument list (a mapping by OS is only for local commands)");
            return null;
        }
        if (node is YScalar s)
        {
            if (s.Value.Trim().Length == 0) { Error(node, path, "must not be empty"); return null; }
            return CommandSpec.FromShell(s.Value);
        }
        if (node is YSequence seq)
        {
            var argv = StringList(node, path);
            if (seq.Items.Count == 0) { Error(node, path, "must not be an empty list"); return null; }
            return argv.Count == seq.Items.Count ? CommandSpec.FromArgv(argv) : null;
        }
        Error(node, path, $"expected a shell line or a list of arguments, found {Describe(node)}");
        return null;
    }

    /// <summary>A local path relative to the project; it may not leave the project folder.</summary>
    public string? ProjectPath(YNode? node, string path, bool mustExist, bool required = false, YNode? parent = null, string? defaultValue = null)
    {
        var text = node is null ? defaultValue : String(node, path, required, parent);
        if (text is null)
        {
            if (required && node is null) Error(parent!, path, "is required");
            return null;
        }
        if (System.IO.Path.IsPathRooted(text) || text.StartsWith('~'))
        {
            Error(node!, path, $"'{text}' must be relative to the project folder");
            return null;
        }
        var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(projectDirectory, text));
        if (!Paths.PathContainment.IsInside(projectDirectory, full))
        {
            Error(node!, path, $"'{text}' escapes the project folder {projectDirectory}");
            return null;
        }
        if (mustExist && !System.IO.File.Exists(full) && !Directory.Exists(full))
        {
            Error(node ?? parent!, path, $"'{text}' does not exist (looked for {full})");
            return null;
        }
        return full;
    }

    /// <summary>An absolute POSIX path inside the container, never the root itself.</summary>
    public string? ContainerPath(YNode? node, string path, bool required, YNode? parent)
    {
        var text = String(node, path, required, parent);
        if (text is null) return null;
        if (!text.StartsWith('/'))
        {
            Error(node!, path, $"'{text}' must be an absolute path in the container (start with /)");
            return null;
        }
        var segments = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is ".." or "."))
        {
            Error(node!, path, $"'{text}' must not contain '.' or '..' segments");
            return null;
        }
        if (segments.Length == 0)
        {
            Error(node!, path, "must not be the container's root folder /");
            return null;
        }
        return "/" + string.Join('/', segments);
    }

    public static bool IsDnsLabel(string value) => value.Length <= 63 && DnsLabel().IsMatch(value);

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public static string Describe(YNode node) => node switch
    {
        YScalar { IsNull: true } => "nothing",
        YScalar s => $"'{s.Value}'",
        YSequence => "a list",
        YMapping => "a mapping",
        _ => "something else",
    };

    /// <summary>The closest allowed word within two edits, for "did you mean" hints.</summary>
    public static string? Suggest(string word, IEnumerable<string> allowed) =>
        allowed.Select(a => (a, d: Distance(word.ToLowerInvariant(), a.ToLowerInvariant())))
               .Where(p => p.d <= Math.Max(1, Math.Min(2, word.Length / 3)))
               .OrderBy(p => p.d).Select(p => p.a).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                // Swapped neighbours ("snyc") are the commonest typo: count them as one edit.
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
