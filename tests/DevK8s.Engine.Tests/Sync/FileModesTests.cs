using DevK8s.Engine.Sync;
using Xunit;

namespace DevK8s.Engine.Tests.Sync;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class FileModesTests : IDisposable
{
    private const UnixFileMode Mode755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode644 = (UnixFileMode)0b110_100_100;
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-modes-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private void Git(params string[] args) => Assert.True(GitCli.Run(_dir, args) is (0, _), $"git {string.Join(' ', args)} failed");

    private string Write(string rel)
    {
        var path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x\n");
        return path;
    }

    [Fact]
    public void Parses_git_index_modes_and_skips_links_and_submodules()
    {
        var modes = GitIndexModes.Parse(
            "100755 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tbin/run.sh\0" +
            "100644 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tdir with space/a.txt\0" +
            "120000 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tlink\0" +
            "160000 e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 0\tvendor/lib\0");
        Assert.Equal(Mode755, modes["bin/run.sh"]);
        Assert.Equal(Mode644, modes["dir with space/a.txt"]);
        Assert.Equal(2, modes.Count);
    }

    [Fact]
    public void Without_local_modes_new_files_follow_the_index_under_the_mappings_folder_and_see_index_changes()
    {
        Git("init", "-q");
        var run = Write("web/bin/run.sh");
        Write("web/README");
        Git("add", ".");
        Git("update-index", "--chmod=+x", "web/bin/run.sh");
        var modes = new FileModes(Path.Combine(_dir, "web"), localModes: false);
        Assert.Equal(Mode755, modes.For("bin/run.sh", run));
        Assert.Equal(Mode644, modes.For("README", Path.Combine(_dir, "web/README")));

        // Added to git with +x after the session started: picked up without a restart.
        var later = Write("web/later.sh");
        Thread.Sleep(20); // a distinct index timestamp on coarse clocks
        Git("add", "web/later.sh");
        Git("update-index", "--chmod=+x", "web/later.sh");
        Assert.Equal(Mode755, modes.For("later.sh", later));
    }

    [Fact]
    public void Without_local_modes_the_containers_mode_wins_and_what_was_sent_is_remembered()
    {
        Git("init", "-q");
        var tool = Write("tool.sh");
        Git("add", "tool.sh"); // 100644 in git
        var modes = new FileModes(_dir, localModes: false);
        modes.SetRemote(new Dictionary<string, UnixFileMode> { ["tool.sh"] = (UnixFileMode)0b111_000_000 });
        Assert.Equal((UnixFileMode)0b111_000_000, modes.For("tool.sh", tool));
        var fresh = Write("fresh.txt");
        Assert.Equal(Mode644, modes.For("fresh.txt", fresh));
        // A later listing is the container's word again.
        modes.SetRemote(new Dictionary<string, UnixFileMode> { ["fresh.txt"] = Mode755 });
        Assert.Equal(Mode755, modes.For("fresh.txt", fresh));
    }

    [Fact]
    public void Outside_git_or_without_git_new_files_are_0644()
    {
        var plain = Write("a.sh");
        Assert.Equal(Mode644, new FileModes(_dir, localModes: false).For("a.sh", plain));
    }

    [Fact]
    public void Where_local_modes_exist_they_are_sent()
    {
        var script = Write("run.sh");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_000);
        var modes = new FileModes(_dir);
        modes.SetRemote(new Dictionary<string, UnixFileMode> { ["run.sh"] = Mode644 });
        Assert.Equal((UnixFileMode)0b111_101_000, modes.For("run.sh", script));
    }
}
