using System.Security.Cryptography;
using DevK8s.Engine.Paths;

namespace DevK8s.Engine.Sync;

public enum EntryKind { File, Directory, Symlink }

/// <summary>One in-scope local entry; Path is relative to the mapping root, '/'-separated.</summary>
public sealed record LocalEntry(string Path, EntryKind Kind, long Size, DateTime ModifiedUtc, string? LinkTarget);

/// <summary>Scans and hashes the in-scope part of a local folder.</summary>
public static class LocalTree
{
    public static Dictionary<string, LocalEntry> Scan(string root, SyncFilter filter, Action<string>? warn = null)
    {
        var entries = new Dictionary<string, LocalEntry>(StringComparer.Ordinal);
        var pending = new Stack<(DirectoryInfo Dir, string Rel)>();
        pending.Push((new DirectoryInfo(root), ""));
        while (pending.Count > 0)
        {
            var (dir, rel) = pending.Pop();
            IEnumerable<FileSystemInfo> children;
            try { children = dir.EnumerateFileSystemInfos(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { warn?.Invoke($"cannot read {dir.FullName}: {e.Message}"); continue; }
            foreach (var child in children)
            {
                var path = rel.Length == 0 ? child.Name : rel + "/" + child.Name;
                if (Describe(child, path, root, filter, warn) is not { } entry) continue;
                entries[path] = entry;
                if (entry.Kind == EntryKind.Directory) pending.Push(((DirectoryInfo)child, path));
            }
        }
        return entries;
    }

    /// <summary>The entry for one path (null when gone, excluded or refused).</summary>
    public static LocalEntry? Stat(string root, string relativePath, SyncFilter filter, Action<string>? warn = null)
    {
        var full = Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar));
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        return info.Exists || info.LinkTarget is not null ? Describe(info, relativePath, root, filter, warn) : null;
    }

    private static LocalEntry? Describe(FileSystemInfo info, string path, string root, SyncFilter filter, Action<string>? warn)
    {
        var isDirectory = info is DirectoryInfo;
        if (filter.IsExcluded(path, isDirectory)) return null;
        if (!IsSafeName(path))
        {
            warn?.Invoke($"skipped '{path}': names with a newline or a backslash cannot be synced safely");
            return null;
        }
        if (info.LinkTarget is { } target)
        {
            // A link is synced as a link only when it resolves inside the tree (one pointing out of
            // it could make the container read or write outside the sync target), and always as a
            // relative link: an absolute target, which every junction has, means nothing there.
            if (PathContainment.RelativeLinkTarget(Path.GetFullPath(root), info.FullName, target) is not { } relative)
            {
                warn?.Invoke($"skipped symlink '{path}' -> '{target}': it points outside the synced folder");
                return null;
            }
            return new LocalEntry(path, EntryKind.Symlink, 0, DateTime.MinValue, relative);
        }
        if (isDirectory) return new LocalEntry(path, EntryKind.Directory, 0, info.LastWriteTimeUtc, null);
        return new LocalEntry(path, EntryKind.File, ((FileInfo)info).Length, info.LastWriteTimeUtc, null);
    }

    public static bool IsSafeName(string path) =>
        !path.Contains('\n') && !path.Contains('\r') && !path.Contains('\\') &&
        !path.Split('/').Any(s => s is "" or "." or "..");

    /// <summary>MD5 as the container's md5sum prints it: a content check, not a security boundary.</summary>
    public static string Hash(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexString(MD5.HashData(stream)).ToLowerInvariant();
    }
}
