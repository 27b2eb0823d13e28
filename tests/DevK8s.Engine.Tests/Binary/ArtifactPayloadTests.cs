using System.IO.Compression;
using System.Security.Cryptography;
using DevK8s.Engine.Binary;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>What goes over the wire for an artifact: gzip when it shrinks, raw when it does not.</summary>
public sealed class ArtifactPayloadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-payload-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_real_program_is_sent_gzipped_and_unpacks_to_the_same_bytes()
    {
        var artifact = Artifact.Read("/usr/bin/env").Prepare();
        Assert.True(artifact.Gzipped);
        Assert.True(artifact.Payload.Length < artifact.Size);
        using var unzip = new GZipStream(new MemoryStream(artifact.Payload), CompressionMode.Decompress);
        using var back = new MemoryStream();
        unzip.CopyTo(back);
        Assert.Equal(File.ReadAllBytes("/usr/bin/env"), back.ToArray());
        Assert.Equal(Convert.ToHexString(SHA256.HashData(back.ToArray())).ToLowerInvariant(), artifact.Sha256);
    }

    [Fact]
    public void Random_padding_is_sent_raw_and_either_hash_matches()
    {
        var path = Path.Combine(_dir, "padded");
        File.WriteAllBytes(path, File.ReadAllBytes("/usr/bin/env").Concat(RandomNumberGenerator.GetBytes(8 << 20)).ToArray());
        var artifact = Artifact.Read(path).Prepare();
        Assert.False(artifact.Gzipped);
        Assert.Equal(File.ReadAllBytes(path), artifact.Payload);
        Assert.True(artifact.Matches(Convert.ToHexString(MD5.HashData(File.ReadAllBytes(path))).ToLowerInvariant()));
        Assert.True(artifact.Matches(artifact.Sha256));
        Assert.False(artifact.Matches(null));
    }
}
