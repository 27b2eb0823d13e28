namespace DevK8s.Engine.Sync;

/// <summary>
/// The mode each synced file gets in the container. Where the local file system has Unix modes
/// they are the truth. Where it has none (Windows), a file the container already has keeps its
/// mode there (the image's +x survives an edit), a new file takes git's recorded mode, else 0644.
/// </summary>
public sealed class FileModes
{
    private const UnixFileMode Regular = (UnixFileMode)0b110_100_100; // 0644

    private readonly bool _localModes;
    private readonly GitIndexModes? _index;
    private readonly Dictionary<string, UnixFileMode> _remote = new(StringComparer.Ordinal);

    /// <param name="root">The mapping's local folder.</param>
    /// <param name="localModes">Whether local files have Unix modes to read; false on Windows.</param>
    /// <param name="index">Where git's recorded modes come from (tests pass their own).</param>
    public FileModes(string root, bool? localModes = null, GitIndexModes? index = null)
    {
        _localModes = localModes ?? !OperatingSystem.IsWindows();
        _index = _localModes ? null : index ?? new GitIndexModes(root);
    }

    /// <summary>Whether the container's modes matter (no local modes): list them with the files only then.</summary>
    public bool WantsRemoteModes => !_localModes || OperatingSystem.IsWindows();

    /// <summary>What a full listing found in the container (relative path to mode); replaces what was known.</summary>
    public void SetRemote(IReadOnlyDictionary<string, UnixFileMode> modes)
    {
        _remote.Clear();
        foreach (var (path, mode) in modes) _remote[path] = mode;
    }

    /// <summary>The mode to send for a file; remembered as the container's from then on.</summary>
    public UnixFileMode For(string relativePath, string fullPath)
    {
        if (_localModes && !OperatingSystem.IsWindows()) return File.GetUnixFileMode(fullPath);
        if (!_remote.TryGetValue(relativePath, out var mode))
            _remote[relativePath] = mode = _index?.Lookup(relativePath) ?? Regular;
        return mode;
    }
}
