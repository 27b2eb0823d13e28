using System.Text;
using System.Text.RegularExpressions;

namespace DevK8s.Engine.Sync;

/// <summary>
/// gitignore semantics (ordered rules, '!' negation, trailing '/' for folders, anchoring by a
/// leading or inner '/', '**'), which Microsoft.Extensions.FileSystemGlobbing does not offer:
/// its include/exclude sets are unordered and have no negation or folder-only rules.
/// </summary>
public sealed class IgnoreRules
{
    private readonly List<(Regex Pattern, bool Negate, bool DirectoryOnly)> _rules = [];
    private readonly RegexOptions _options;

    /// <param name="ignoreCase">
    /// Match names ignoring case, as git does with core.ignorecase, which it sets on Windows and
    /// macOS: their file systems treat "Secrets/" and "secrets/" as one folder, so a rule for one
    /// must keep both out. Default: ignore case on Windows and macOS.
    /// </param>
    public IgnoreRules(bool? ignoreCase = null) =>
        _options = RegexOptions.CultureInvariant | ((ignoreCase ?? DefaultIgnoreCase) ? RegexOptions.IgnoreCase : RegexOptions.None);

    public static bool DefaultIgnoreCase => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();

    public static IgnoreRules Parse(IEnumerable<string> lines, bool? ignoreCase = null)
    {
        var rules = new IgnoreRules(ignoreCase);
        foreach (var raw in lines) rules.Add(raw);
        return rules;
    }

    public bool IsEmpty => _rules.Count == 0;

    public void Add(string line)
    {
        var text = line.TrimEnd('\r');
        if (text.Length == 0 || text.StartsWith('#')) return;
        text = TrimUnescapedTrailingSpaces(text);
        var negate = text.StartsWith('!');
        if (negate) text = text[1..];
        if (text.StartsWith("\\#") || text.StartsWith("\\!")) text = text[1..];
        var directoryOnly = text.EndsWith('/');
        text = text.TrimEnd('/');
        if (text.Length == 0) return;
        var anchored = text.Contains('/');
        text = text.TrimStart('/');
        var body = Translate(text);
        var regex = anchored ? $"^{body}$" : $"^(?:.*/)?{body}$";
        _rules.Add((new Regex(regex, _options), negate, directoryOnly));
    }

    /// <summary>
    /// Whether a path (relative, '/'-separated) is ignored. A path under an ignored folder is
    /// ignored whatever later rules say, as in git.
    /// </summary>
    public bool IsIgnored(string relativePath, bool isDirectory)
    {
        if (_rules.Count == 0) return false;
        var parts = relativePath.Split('/');
        for (var i = 1; i < parts.Length; i++)
            if (Match(string.Join('/', parts, 0, i), isDirectory: true)) return true;
        return Match(relativePath, isDirectory);
    }

    private bool Match(string path, bool isDirectory)
    {
        var ignored = false;
        foreach (var (pattern, negate, directoryOnly) in _rules)
        {
            if (directoryOnly && !isDirectory) continue;
            if (pattern.IsMatch(path)) ignored = !negate;
        }
        return ignored;
    }

    private static string Translate(string glob)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var atStart = i == 0;
                var followedBySlash = i + 2 < glob.Length && glob[i + 2] == '/';
                var atEnd = i + 2 == glob.Length;
                if ((atStart || glob[i - 1] == '/') && followedBySlash) { sb.Append("(?:.*/)?"); i += 2; continue; }
                if (atEnd && (atStart || glob[i - 1] == '/')) { sb.Append(".*"); i += 1; continue; }
                sb.Append("[^/]*"); i += 1; continue;
            }
            switch (c)
            {
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '\\' when i + 1 < glob.Length: sb.Append(Regex.Escape(glob[++i].ToString())); break;
                case '[':
                    var end = glob.IndexOf(']', i + 1);
                    if (end < 0) { sb.Append("\\["); break; }
                    var set = glob[(i + 1)..end];
                    if (set.StartsWith('!')) set = "^" + set[1..];
                    sb.Append('[').Append(set.Replace("\\", "\\\\")).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return sb.ToString();
    }

    private static string TrimUnescapedTrailingSpaces(string text)
    {
        var end = text.Length;
        while (end > 0 && text[end - 1] == ' ' && !(end > 1 && text[end - 2] == '\\')) end--;
        return text[..end];
    }
}
