using DevK8s.Engine.Config;
using DevK8s.Engine.Sync;

namespace DevK8s.Engine.Binary;

/// <summary>
/// Which saves rebuild: the `watch` patterns (gitignore-style, relative to the project) or, without
/// them, everything under the working directory; never what .gitignore ignores, .git/, target/ or
/// the artifact (the build's own output would otherwise trigger the next build).
/// </summary>
internal sealed class BinaryWatch
{
    private static readonly string[] NeverWatched = ["target/"];
    private readonly SyncFilter _filter;
    private readonly IgnoreRules? _include;

    private BinaryWatch(string root, SyncFilter filter, IgnoreRules? include, string key) => (Root, _filter, _include, Key) = (root, filter, include, key);

    public string Root { get; }

    /// <summary>Equal keys watch the same files: services that share a build share one watcher.</summary>
    public string Key { get; }

    public static BinaryWatch For(ProjectConfig project, BinaryConfig config)
    {
        var patterns = config.WatchPatterns;
        var root = patterns.Count == 0 ? config.WorkingDirectory : project.Directory;
        // The artifact itself is written by every build: watching it would make each build start the next.
        var artifact = Path.GetRelativePath(root, config.Artifact).Replace(Path.DirectorySeparatorChar, '/');
        var never = artifact.StartsWith("../", StringComparison.Ordinal) ? NeverWatched : [.. NeverWatched, "/" + artifact];
        var filter = new SyncFilter(root, never, useGitignore: true, project.Directory);
        var include = patterns.Count == 0 ? null : IgnoreRules.Parse(patterns);
        return new BinaryWatch(root, filter, include, root + "\n" + string.Join("\n", patterns));
    }

    /// <summary>relativePath: relative to <see cref="Root"/>, '/'-separated.</summary>
    public bool Matters(string relativePath) =>
        !_filter.IsExcluded(relativePath, isDirectory: false)
        && (_include is null || _include.IsIgnored(relativePath, isDirectory: false) || _include.IsIgnored(relativePath, isDirectory: true));

    /// <summary>Calls <paramref name="changed"/> with the full path of each relevant change (null: events were lost).</summary>
    public IDisposable Start(Action<string?> changed) =>
        new ChangeWatcher(Root, _filter, poll: false, TimeSpan.FromMilliseconds(500),
            rel =>
            {
                // A folder's own events (its mtime moves when a build creates a file in it) are not
                // saves: the files in it report their own changes.
                var full = Path.GetFullPath(Path.Combine(Root, rel));
                if (!Directory.Exists(full) && Matters(rel)) changed(full);
            }, () => changed(null));
}
