namespace DevK8s.Engine.Sync;

/// <summary>
/// The modes git records for the files under a folder (100755 or 100644), which is the only
/// record of the executable bit a Windows working tree has. Read again when the index changes.
/// </summary>
public sealed class GitIndexModes(string root)
{
    private const UnixFileMode Executable = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode Regular = (UnixFileMode)0b110_100_100;    // 0644

    private Dictionary<string, UnixFileMode>? _modes;
    private string? _indexFile;
    private DateTime _indexWritten;

    /// <summary>The mode for a path relative to the root ('/'-separated), or null when git does not track it.</summary>
    public UnixFileMode? Lookup(string relativePath)
    {
        if (_modes is null || IndexChanged()) Load();
        return _modes!.TryGetValue(relativePath, out var mode) ? mode : null;
    }

    /// <summary>Parses `git ls-files -s -z`: "&lt;mode&gt; &lt;object&gt; &lt;stage&gt;\t&lt;path&gt;\0" per entry.</summary>
    public static Dictionary<string, UnixFileMode> Parse(string lsFilesOutput)
    {
        var modes = new Dictionary<string, UnixFileMode>(StringComparer.Ordinal);
        foreach (var record in lsFilesOutput.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t');
            if (tab < 0) continue;
            // Symlinks (120000) and submodules (160000) carry no file mode to give.
            var mode = record[..record.IndexOf(' ')] switch { "100755" => Executable, "100644" => Regular, _ => (UnixFileMode?)null };
            if (mode is { } m) modes[record[(tab + 1)..]] = m;
        }
        return modes;
    }

    private void Load()
    {
        // ls-files lists paths relative to the folder it runs in: exactly the mapping's relative paths.
        var listing = GitCli.Run(root, ["ls-files", "-s", "-z"]);
        _modes = listing is (0, var text) ? Parse(text) : new(StringComparer.Ordinal);
        if (_indexFile is null && GitCli.Run(root, ["rev-parse", "--absolute-git-dir"]) is (0, var gitDir))
            _indexFile = Path.Combine(gitDir.Trim(), "index");
        _indexWritten = IndexTime();
    }

    private bool IndexChanged() => _indexFile is not null && IndexTime() != _indexWritten;

    private DateTime IndexTime() => _indexFile is not null && File.Exists(_indexFile) ? File.GetLastWriteTimeUtc(_indexFile) : DateTime.MinValue;
}
