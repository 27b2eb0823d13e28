using System.Text;
using System.Text.RegularExpressions;

namespace DevK8s.Engine.Image;

/// <summary>
/// .dockerignore as Docker reads it, which is not gitignore: patterns are anchored at the context
/// root, a pattern that matches a folder excludes everything under it, and a later '!' exception
/// can bring back a path under an excluded folder (gitignore cannot), the last matching line winning.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exception, string LiteralPrefix)> _rules = [];

    public static DockerIgnore Load(string contextDirectory)
    {
        var file = Path.Combine(contextDirectory, ".dockerignore");
        return Parse(File.Exists(file) ? File.ReadAllLines(file) : []);
    }

    public static DockerIgnore Parse(IEnumerable<string> lines)
    {
        var ignore = new DockerIgnore();
        foreach (var raw in lines)
        {
            var text = raw.Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            var exception = text.StartsWith('!');
            if (exception) text = text[1..].Trim();
            text = Clean(text);
            if (text.Length == 0) continue;
            var wildcard = text.IndexOfAny(['*', '?', '[', '\\']);
            ignore._rules.Add((new Regex("^" + Translate(text) + "$", RegexOptions.CultureInvariant), exception, wildcard < 0 ? text : text[..wildcard]));
        }
        return ignore;
    }

    /// <summary>Whether a path ('/'-separated, relative to the context) is left out of the build context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var excluded = false;
        var parents = Parents(relativePath).ToList();
        foreach (var (pattern, exception, _) in _rules)
        {
            if (excluded != exception) continue; // only a rule that could flip the answer matters
            if (pattern.IsMatch(relativePath) || parents.Any(pattern.IsMatch)) excluded = !exception;
        }
        return excluded;
    }

    /// <summary>Whether an excluded folder may still hold something an exception brings back (so the walk must enter it).</summary>
    public bool MayHoldExceptions(string relativeDirectory)
    {
        var dir = relativeDirectory + "/";
        return _rules.Any(r => r.Exception && (r.LiteralPrefix.StartsWith(dir, StringComparison.Ordinal) || dir.StartsWith(r.LiteralPrefix, StringComparison.Ordinal)));
    }

    /// <summary>The files of the context Docker would send, relative and sorted.</summary>
    public IReadOnlyList<string> Files(string contextDirectory)
    {
        var result = new List<string>();
        Walk(contextDirectory, "");
        result.Sort(StringComparer.Ordinal);
        return result;

        void Walk(string full, string rel)
        {
            foreach (var entry in new DirectoryInfo(full).EnumerateFileSystemInfos())
            {
                var path = rel.Length == 0 ? entry.Name : rel + "/" + entry.Name;
                var isDirectory = entry is DirectoryInfo && entry.LinkTarget is null;
                if (isDirectory)
                {
                    if (!IsExcluded(path) || MayHoldExceptions(path)) Walk(entry.FullName, path);
                }
                else if (!IsExcluded(path)) result.Add(path);
            }
        }
    }

    private static IEnumerable<string> Parents(string path)
    {
        for (var i = path.IndexOf('/'); i > 0; i = path.IndexOf('/', i + 1)) yield return path[..i];
    }

    private static string Clean(string pattern)
    {
        var parts = new List<string>();
        foreach (var part in pattern.Replace('\\', '/').Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == ".." && parts.Count > 0) parts.RemoveAt(parts.Count - 1);
            else if (part != "..") parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static string Translate(string glob)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**" spans any number of folders, none included.
                i++;
                if (i + 1 < glob.Length && glob[i + 1] == '/') { sb.Append("(?:.*/)?"); i++; }
                else sb.Append(".*");
                continue;
            }
            switch (c)
            {
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    var end = glob.IndexOf(']', i + 1);
                    if (end < 0) { sb.Append("\\["); break; }
                    var set = glob[(i + 1)..end];
                    if (set.StartsWith('^') || set.StartsWith('!')) set = "^" + set[1..];
                    sb.Append('[').Append(set.Replace("\\", "\\\\")).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return sb.ToString();
    }
}
