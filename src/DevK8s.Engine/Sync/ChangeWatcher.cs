namespace DevK8s.Engine.Sync;

/// <summary>
/// Collects changed paths (relative, '/'-separated) under one folder: native file events, or,
/// with polling (WSL, network drives, where events go missing), a periodic compare of size and
/// mtime. A lost-events signal (buffer overflow) asks the session for a full content compare.
/// </summary>
public sealed class ChangeWatcher : IDisposable
{
    private readonly string _root;
    private readonly SyncFilter _filter;
    private readonly Action<string> _changed;
    private readonly Action _lost;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer? _poll;
    private Dictionary<string, LocalEntry>? _snapshot;
    private int _polling;

    public ChangeWatcher(string root, SyncFilter filter, bool poll, TimeSpan pollInterval, Action<string> changed, Action lost)
    {
        (_root, _filter, _changed, _lost) = (root, filter, changed, lost);
        if (poll || LocalFileSystem.NeedsPolling(root))
        {
            _snapshot = LocalTree.Scan(root, filter);
            _poll = new Timer(_ => Poll(), null, pollInterval, pollInterval);
            return;
        }
        _watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            InternalBufferSize = 64 * 1024,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, e) => { if (LocalFileSystem.IsContentEvent(e.ChangeType, Directory.Exists(e.FullPath))) Report(e.FullPath); };
        _watcher.Created += (_, e) => Report(e.FullPath);
        _watcher.Deleted += (_, e) => Report(e.FullPath);
        _watcher.Renamed += (_, e) => { Report(e.OldFullPath); Report(e.FullPath); };
        _watcher.Error += (_, _) => _lost();
        _watcher.EnableRaisingEvents = true;
    }

    public bool Polling => _poll is not null;

    private void Report(string fullPath)
    {
        var rel = Path.GetRelativePath(_root, fullPath).Replace(Path.DirectorySeparatorChar, '/');
        if (rel == "." || rel.StartsWith("../", StringComparison.Ordinal)) return;
        // Cheap pre-filter: excluded files (and secrets in them) are never even stat'ed.
        if (_filter.IsExcluded(rel, isDirectory: false) && _filter.IsExcluded(rel, isDirectory: true)) return;
        _changed(rel);
    }

    private void Poll()
    {
        if (Interlocked.Exchange(ref _polling, 1) == 1) return;
        try
        {
            var now = LocalTree.Scan(_root, _filter);
            var before = _snapshot!;
            foreach (var (path, entry) in now)
                if (!before.TryGetValue(path, out var old) || old.Size != entry.Size || old.ModifiedUtc != entry.ModifiedUtc || old.Kind != entry.Kind || old.LinkTarget != entry.LinkTarget)
                    _changed(path);
            foreach (var path in before.Keys)
                if (!now.ContainsKey(path)) _changed(path);
            _snapshot = now;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _lost();
        }
        finally { Volatile.Write(ref _polling, 0); }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _poll?.Dispose();
    }
}
