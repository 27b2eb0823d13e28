using DevK8s.Engine.Config;
using DevK8s.Engine.Paths;

namespace DevK8s.Engine.Sync;

/// <summary>
/// What is in scope for one sync mapping: not .git, not the config's excludes (relative to the
/// mapping's folder), not what the project's .gitignore files ignore. Out of scope means never read,
/// never sent and never deleted on the remote side: secrets in excluded files stay on the machine.
/// </summary>
public sealed class SyncFilter
{
    private readonly IgnoreRules _excludes;
    private readonly List<(string Base, IgnoreRules Rules)> _gitignores = [];
    private readonly string _root;

    /// <param name="ignoreCase">Whether rules match names ignoring case; default: as the OS's file systems do (see <see cref="IgnoreRules"/>).</param>
    public SyncFilter(string root, IEnumerable<string> excludes, bool useGitignore, string projectDirectory, bool? ignoreCase = null)
    {
        _root = Path.GetFullPath(root);
        _excludes = IgnoreRules.Parse(excludes.Prepend(".git/"), ignoreCase);
        if (!useGitignore) return;
        // .gitignore files from the project folder down to the mapping's folder, each relative to its own folder.
        var dirs = new List<string>();
        for (var dir = _root; dir is not null && PathContainment.IsInside(projectDirectory, dir); dir = Path.GetDirectoryName(dir))
        {
            dirs.Add(dir);
            if (PathContainment.IsInside(dir, projectDirectory)) break;
        }
        foreach (var dir in dirs.AsEnumerable().Reverse())
        {
            var file = Path.Combine(dir, ".gitignore");
            if (File.Exists(file)) _gitignores.Add((dir, IgnoreRules.Parse(File.ReadAllLines(file), ignoreCase)));
        }
    }

    /// <summary>relativePath is relative to the mapping's root, '/'-separated.</summary>
    public bool IsExcluded(string relativePath, bool isDirectory)
    {
        if (_excludes.IsIgnored(relativePath, isDirectory)) return true;
        foreach (var (baseDir, rules) in _gitignores)
        {
            var full = Path.Combine(_root, relativePath.Replace('/', Path.DirectorySeparatorChar));
            var rel = Path.GetRelativePath(baseDir, full).Replace(Path.DirectorySeparatorChar, '/');
            if (rules.IsIgnored(rel, isDirectory)) return true;
        }
        return false;
    }

    public static SyncFilter For(SyncPath mapping, SyncConfig config, string projectDirectory) =>
        new(mapping.From, config.Exclude, config.UseGitignore, projectDirectory);
}
