using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using DevK8s.Engine.Image;
using Xunit;

namespace DevK8s.Engine.Tests.Image;

public class LayerBuilderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-layer-src-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Local(string rel, string text, bool executable = false)
    {
        var path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, executable ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100);
        return path;
    }

    internal static List<(string Name, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, DateTimeOffset MTime, string? Text)> Read(Stream gzip)
    {
        var result = new List<(string, TarEntryType, UnixFileMode, int, int, DateTimeOffset, string?)>();
        using var reader = new TarReader(new GZipStream(gzip, CompressionMode.Decompress));
        while (reader.GetNextEntry() is { } e)
            result.Add((e.Name, e.EntryType, e.Mode, e.Uid, e.Gid, e.ModificationTime,
                e.DataStream is { } s ? new StreamReader(s).ReadToEnd() : null));
        return result;
    }

    [Fact]
    public void A_binary_lands_at_its_image_path_with_parents_root_owned_and_fixed_times()
    {
        var api = Local("target/release/api", "#!/bin/sh\necho hi\n", executable: true);
        using var layer = LayerBuilder.Build([new LayerFile(api, "/usr/local/bin/api")]);
        using var s = layer.OpenRead();
        var entries = Read(s);
        Assert.Equal(["usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/api"], entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal((0, 0, LayerBuilder.FixedTime), (e.Uid, e.Gid, e.MTime)));
        Assert.All(entries, e => Assert.Equal((UnixFileMode)0b111_101_101, e.Mode));
        Assert.Equal("#!/bin/sh\necho hi\n", entries[^1].Text);
        Assert.Equal(1, layer.Files);
    }

    [Fact]
    public void Digest_is_of_the_gzip_blob_and_diff_id_of_the_tar_inside()
    {
        var api = Local("api", new string('x', 100_000), executable: true);
        using var layer = LayerBuilder.Build([new LayerFile(api, "/app/api")]);
        var blob = File.ReadAllBytes(PathOf(layer));
        Assert.Equal("sha256:" + Convert.ToHexString(SHA256.HashData(blob)).ToLowerInvariant(), layer.Digest);
        Assert.Equal(blob.Length, layer.Size);
        using var tar = new MemoryStream();
        new GZipStream(new MemoryStream(blob), CompressionMode.Decompress).CopyTo(tar);
        Assert.Equal("sha256:" + Convert.ToHexString(SHA256.HashData(tar.ToArray())).ToLowerInvariant(), layer.DiffId);
        Assert.Equal(tar.Length, layer.UncompressedSize);
        Assert.True(layer.Size < 10_000, $"100 kB of one byte compresses to {layer.Size} bytes");
    }

    private static string PathOf(BuiltLayer layer)
    {
        using var s = (FileStream)layer.OpenRead();
        return s.Name;
    }

    [Fact]
    public void Same_inputs_give_the_same_digest_whatever_the_local_times_and_a_change_gives_another()
    {
        var api = Local("api", "v1", executable: true);
        using var first = LayerBuilder.Build([new LayerFile(api, "/app/api")]);
        File.SetLastWriteTimeUtc(api, DateTime.UtcNow.AddDays(-3));
        using var again = LayerBuilder.Build([new LayerFile(api, "/app/api")]);
        Assert.Equal((first.Digest, first.DiffId), (again.Digest, again.DiffId));
        File.WriteAllText(api, "v2");
        using var changed = LayerBuilder.Build([new LayerFile(api, "/app/api")]);
        Assert.NotEqual(first.Digest, changed.Digest);
    }

    [Fact]
    public void A_folder_keeps_its_tree_executables_0755_data_0644()
    {
        Local("site/index.html", "<h1>hi</h1>");
        Local("site/bin/run.sh", "#!/bin/sh", executable: true);
        File.CreateSymbolicLink(Path.Combine(_dir, "site", "current"), "index.html");
        var cli = Local("cli", "binary", executable: true);
        using var layer = LayerBuilder.Build([new LayerFile(Path.Combine(_dir, "site"), "/srv/www"), new LayerFile(cli, "/usr/bin/")]);
        using var s = layer.OpenRead();
        var entries = Read(s).ToDictionary(e => e.Name);
        Assert.Equal(["srv/", "srv/www/", "srv/www/bin/", "srv/www/bin/run.sh", "srv/www/current", "srv/www/index.html", "usr/", "usr/bin/", "usr/bin/cli"], entries.Keys);
        Assert.Equal((UnixFileMode)0b110_100_100, entries["srv/www/index.html"].Mode);
        Assert.Equal((UnixFileMode)0b111_101_101, entries["srv/www/bin/run.sh"].Mode);
        Assert.Equal(TarEntryType.SymbolicLink, entries["srv/www/current"].Type);
        Assert.Equal(4, layer.Files);
    }

    [Fact]
    public void A_symlink_named_as_the_source_is_followed()
    {
        Local("real/app", "binary", executable: true);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "release"), Path.Combine(_dir, "real"));
        File.CreateSymbolicLink(Path.Combine(_dir, "app-link"), Path.Combine(_dir, "real", "app"));
        using var layer = LayerBuilder.Build([new LayerFile(Path.Combine(_dir, "release"), "/opt/rel"), new LayerFile(Path.Combine(_dir, "app-link"), "/bin/app")]);
        using var s = layer.OpenRead();
        var entries = Read(s).ToDictionary(e => e.Name);
        Assert.Equal((TarEntryType.RegularFile, "binary"), (entries["opt/rel/app"].Type, entries["opt/rel/app"].Text));
        Assert.Equal((TarEntryType.RegularFile, "binary"), (entries["bin/app"].Type, entries["bin/app"].Text));
    }

    [Fact]
    public void Bad_layer_specs_say_what_to_fix()
    {
        var api = Local("api", "x", executable: true);
        Assert.Contains("must be absolute", Assert.Throws<ArgumentException>(() => LayerBuilder.Build([new LayerFile(api, "usr/bin/api")])).Message);
        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => LayerBuilder.Build([new LayerFile(Path.Combine(_dir, "nope"), "/nope")])).Message);
        Assert.Contains("Two layer entries", Assert.Throws<ArgumentException>(() => LayerBuilder.Build([new LayerFile(api, "/a"), new LayerFile(api, "/a")])).Message);
    }
}
