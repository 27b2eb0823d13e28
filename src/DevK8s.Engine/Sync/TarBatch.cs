using System.Formats.Tar;
using System.IO.Compression;

namespace DevK8s.Engine.Sync;

/// <summary>
/// A tar stream of changed entries, in GNU format (long and non-ASCII names work with both GNU
/// and busybox tar). Small batches stay in memory; large ones spill to a temp file.
/// </summary>
public sealed class TarBatch : IDisposable
{
    private const long MemoryLimit = 8 << 20;

    public Stream Content { get; }
    public long Length => Content.Length;
    public int Files { get; private set; }
    public bool Compressed { get; }

    private TarBatch(Stream content, bool compressed) => (Content, Compressed) = (content, compressed);

    /// <param name="modes">The modes to give files; one per mapping, so it remembers the container's. Null: local or git modes only.</param>
    public static TarBatch Build(string root, IReadOnlyCollection<LocalEntry> entries, bool compress, FileModes? modes = null)
    {
        modes ??= new FileModes(root);
        var total = entries.Sum(e => e.Size);
        Stream buffer = total > MemoryLimit
            ? new FileStream(Path.GetTempFileName(), System.IO.FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose)
            : new MemoryStream();
        var batch = new TarBatch(buffer, compress);
        Stream sink = compress ? new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true) : buffer;
        using (var writer = new TarWriter(sink, TarEntryFormat.Gnu, leaveOpen: true))
        {
            // Parents before children, so folders exist before their files are extracted.
            foreach (var entry in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                var full = Path.Combine(root, entry.Path.Replace('/', Path.DirectorySeparatorChar));
                switch (entry.Kind)
                {
                    case EntryKind.Directory:
                        writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, entry.Path + "/") { Mode = DirectoryMode });
                        break;
                    case EntryKind.Symlink:
                        writer.WriteEntry(new GnuTarEntry(TarEntryType.SymbolicLink, entry.Path) { LinkName = entry.LinkTarget! });
                        break;
                    default:
                        using (var data = new FileStream(full, System.IO.FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan))
                        {
                            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, entry.Path) { DataStream = data, Mode = modes.For(entry.Path, full) });
                        }
                        batch.Files++;
                        break;
                }
            }
        }
        if (compress) sink.Dispose();
        buffer.Position = 0;
        return batch;
    }

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                               UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;


    public void Dispose() => Content.Dispose();
}
