using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace DevK8s.Engine.Image;

/// <summary>
/// The tag of a dev image, derived from everything that goes into it (as Tilt does): the files of
/// the build context after .dockerignore (prebuild outputs included, since they are read after the
/// prebuild ran), the Dockerfile, the build args; or, for the daemonless path, the base reference and
/// each layer file with its destination and mode. Equal inputs give equal tags, so an unchanged input
/// finds its image already in the registry and skips build and push.
/// </summary>
public static class ContentTag
{
    public const string Prefix = "devk8s-";

    // File hashes by path, size and mtime: an unchanged tree costs one stat per file.
    private static readonly ConcurrentDictionary<string, (long Size, DateTime Modified, string Hash)> Hashes = new();

    public sealed record Result(string Tag, int Files, long Bytes);

    public static Result ForDockerfile(string context, string dockerfile, IReadOnlyDictionary<string, string> buildArgs, string builder)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Add(sha, $"builder {builder}\n");
        Add(sha, "dockerfile " + FileHash(dockerfile) + "\n");
        foreach (var (k, v) in buildArgs.OrderBy(p => p.Key, StringComparer.Ordinal)) Add(sha, $"arg {k}={v}\n");
        var files = DockerIgnore.Load(context).Files(context);
        long bytes = 0;
        foreach (var rel in files)
        {
            var full = Path.Combine(context, rel.Replace('/', Path.DirectorySeparatorChar));
            var info = new FileInfo(full);
            if (info.LinkTarget is { } link) { Add(sha, $"link {rel} {link}\n"); continue; }
            bytes += info.Length;
            Add(sha, $"file {rel} {Mode(full)} {FileHash(full)}\n");
        }
        return new Result(Tag(sha), files.Count, bytes);
    }

    public static Result ForLayers(string baseImage, IEnumerable<(string From, string To)> layers)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Add(sha, $"base {baseImage}\n");
        int count = 0;
        long bytes = 0;
        foreach (var (from, to) in layers)
        {
            if (Directory.Exists(from))
            {
                foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    var rel = Path.GetRelativePath(from, file).Replace(Path.DirectorySeparatorChar, '/');
                    Add(sha, $"file {to}/{rel} {Mode(file)} {FileHash(file)}\n");
                    bytes += new FileInfo(file).Length;
                    count++;
                }
            }
            else if (File.Exists(from))
            {
                Add(sha, $"file {to} {Mode(from)} {FileHash(from)}\n");
                bytes += new FileInfo(from).Length;
                count++;
            }
            else throw new FileNotFoundException($"'{from}' does not exist: the layer has nothing to add.", from);
        }
        return new Result(Tag(sha), count, bytes);
    }

    private static string Tag(IncrementalHash sha) => Prefix + Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()[..16];

    private static void Add(IncrementalHash sha, string text) => sha.AppendData(Encoding.UTF8.GetBytes(text));

    private static string Mode(string file) => OperatingSystem.IsWindows() ? "-" : Convert.ToString((int)File.GetUnixFileMode(file), 8);

    private static string FileHash(string file)
    {
        var info = new FileInfo(file);
        if (Hashes.TryGetValue(file, out var known) && known.Size == info.Length && known.Modified == info.LastWriteTimeUtc) return known.Hash;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        var hash = Convert.ToHexString(SHA256.HashData(stream));
        Hashes[file] = (info.Length, info.LastWriteTimeUtc, hash);
        return hash;
    }
}
