namespace DevK8s.Engine.Sync;

/// <summary>
/// What the developer's file system can and cannot hold, and how it reports changes. Windows
/// (NTFS, case-insensitive, reserved names) differs from the Linux container on each point; every
/// rule here is a pure function of its inputs so it is tested on any OS.
/// </summary>
public static class LocalFileSystem
{
    private static readonly HashSet<string> ReservedWindowsNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>
    /// Whether a container path could exist in the local tree at all. Files that cannot (a case twin
    /// of a local file on a case-insensitive disk, a reserved or invalid Windows name) are not the
    /// developer's deletions and must never be removed from the container.
    /// </summary>
    public static bool CanExistLocally(string relativePath, ISet<string> localPaths, bool windows, bool caseInsensitive)
    {
        if (windows)
            foreach (var part in relativePath.Split('/'))
            {
                var stem = part.Split('.')[0];
                if (ReservedWindowsNames.Contains(stem) || part.IndexOfAny(['<', '>', ':', '"', '|', '?', '*', '\\']) >= 0
                    || part.EndsWith('.') || part.EndsWith(' ') || part.Any(c => c < 32))
                    return false;
            }
        // "README.md" remotely while "Readme.md" exists locally: on this disk both are one file.
        return !caseInsensitive || localPaths.Contains(relativePath) || !localPaths.Any(p => string.Equals(p, relativePath, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// A changed-folder event says nothing about content: NTFS updates a folder's time on every
    /// create or rename in it, and the events for those files arrive on their own.
    /// </summary>
    public static bool IsContentEvent(WatcherChangeTypes change, bool isDirectory) =>
        !(change == WatcherChangeTypes.Changed && isDirectory);

    /// <summary>Network shares (\\server\share, \\wsl$\…) and mapped network drives deliver no file events: poll there.</summary>
    public static bool NeedsPolling(string root, Func<string, DriveType>? driveType = null)
    {
        if (root.StartsWith(@"\\", StringComparison.Ordinal) || root.StartsWith("//", StringComparison.Ordinal)) return true;
        if (!OperatingSystem.IsWindows() && driveType is null) return false;
        // A drive letter, read by hand: Path.GetPathRoot knows no drives off Windows.
        var drive = root.Length >= 2 && char.IsAsciiLetter(root[0]) && root[1] == ':' ? root[..2] + "\\" : Path.GetPathRoot(root);
        if (string.IsNullOrEmpty(drive)) return false;
        try { return (driveType ?? (d => new DriveInfo(d).DriveType))(drive) == DriveType.Network; }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// On a case-insensitive disk File.Exists("Readme.md") is true after a rename to "README.md":
    /// a path exists only if a directory listing shows it with exactly this spelling.
    /// </summary>
    public static bool ExistsWithExactCase(string root, string relativePath)
    {
        var current = root;
        foreach (var part in relativePath.Split('/'))
        {
            if (!Directory.Exists(current)) return false;
            var match = Directory.EnumerateFileSystemEntries(current, part, new EnumerationOptions { MatchCasing = MatchCasing.CaseInsensitive, RecurseSubdirectories = false })
                .Select(Path.GetFileName).FirstOrDefault(n => string.Equals(n, part, StringComparison.OrdinalIgnoreCase));
            if (match is null || !string.Equals(match, part, StringComparison.Ordinal)) return false;
            current = Path.Combine(current, match);
        }
        return true;
    }

    public static bool IsCaseInsensitive => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();

    /// <summary>A file another program holds open without sharing (SQLite, Visual Studio's .vs): skip it this round.</summary>
    public static bool IsLocked(Exception e) => e is IOException and not FileNotFoundException and not DirectoryNotFoundException;
}
