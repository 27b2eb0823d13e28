using System.IO.Compression;
using System.Security.Cryptography;

namespace DevK8s.Engine.Binary;

/// <summary>
/// An artifact as read once after a build: its hashes and its gzip, kept in memory so the last good
/// one can be sent again to a replaced pod even if a later build is rewriting the file.
/// </summary>
internal sealed class Artifact
{
    private Artifact(string path, long size, string sha256, string md5, byte[] gzipped) =>
        (Path, Size, Sha256, Md5, Gzipped) = (path, size, sha256, md5, gzipped);

    public string Path { get; }
    public long Size { get; }
    public string Sha256 { get; }
    public string Md5 { get; }
    public byte[] Gzipped { get; }

    /// <summary>Hashes are cheap next to gzip, so they come first and gzip only runs for a changed artifact.</summary>
    public static (string Sha256, string Md5, byte[] Content) Hash(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return (Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), Convert.ToHexString(MD5.HashData(bytes)).ToLowerInvariant(), bytes);
    }

    public static Artifact Compress(string path, (string Sha256, string Md5, byte[] Content) hashed)
    {
        using var buffer = new MemoryStream(hashed.Content.Length / 2 + 4096);
        // Fastest: the link, not the CPU, is the bottleneck for a binary of a few MB.
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(hashed.Content);
        return new Artifact(path, hashed.Content.Length, hashed.Sha256, hashed.Md5, buffer.ToArray());
    }

    public bool Matches(string? remoteHash) => remoteHash is not null && (remoteHash == Sha256 || remoteHash == Md5);
}
