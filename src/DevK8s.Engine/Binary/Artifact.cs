using System.IO.Compression;
using System.Security.Cryptography;

namespace DevK8s.Engine.Binary;

/// <summary>
/// An artifact as read once after a build: its hash and its payload, kept in memory so the last good
/// one can be sent again to a replaced pod even if a later build is rewriting the file.
/// </summary>
internal sealed class Artifact
{
    private const int Sample = 1 << 20;
    private readonly byte[] _content;
    private readonly Lazy<string> _md5;

    private Artifact(string path, byte[] content, string sha256)
    {
        (Path, _content, Sha256) = (path, content, sha256);
        _md5 = new Lazy<string>(() => Convert.ToHexString(MD5.HashData(_content)).ToLowerInvariant());
    }

    public string Path { get; }
    public long Size => _content.Length;
    public string Sha256 { get; }
    /// <summary>Only for images without sha256sum: computed when first asked for.</summary>
    public string Md5 => _md5.Value;
    public byte[] Payload { get; private set; } = [];
    public bool Gzipped { get; private set; }

    public static Artifact Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return new Artifact(path, bytes, Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant());
    }

    /// <summary>
    /// gzip when it pays: a binary usually halves, but padding, embedded archives or an already
    /// compressed payload do not shrink, and gzip'ing 50 MB of those costs seconds for nothing. A 1 MB
    /// sample from the middle decides.
    /// </summary>
    public Artifact Prepare()
    {
        if (Payload.Length > 0) return this;
        var start = Math.Max(0, _content.Length / 2 - Sample / 2);
        var sample = _content.AsSpan(start, Math.Min(Sample, _content.Length - start));
        if (_content.Length > Sample && Compress(sample).Length > sample.Length * 9 / 10)
        {
            (Payload, Gzipped) = (_content, false);
            return this;
        }
        (Payload, Gzipped) = (Compress(_content), true);
        return this;
    }

    private static byte[] Compress(ReadOnlySpan<byte> data)
    {
        using var buffer = new MemoryStream(data.Length / 2 + 4096);
        // Fastest: the link, not the CPU, is the bottleneck for a binary of a few MB.
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return buffer.ToArray();
    }

    /// <summary>Whether the container's hash (sha256, or md5 from an image without sha256sum) is this artifact's.</summary>
    public bool Matches(string? remoteHash) => remoteHash switch
    {
        null => false,
        { Length: 32 } => remoteHash == Md5,
        _ => remoteHash == Sha256,
    };
}
