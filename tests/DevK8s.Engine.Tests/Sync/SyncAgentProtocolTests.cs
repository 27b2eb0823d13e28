using System.Diagnostics;
using DevK8s.Engine.Sync;
using Xunit;

namespace DevK8s.Engine.Tests.Sync;

/// <summary>
/// The agent's shell script, run locally under GNU coreutils and under busybox (what slim images
/// ship), speaking the same length-framed protocol the exec channel carries.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class SyncAgentProtocolTests : IDisposable
{
    private readonly string _local = Directory.CreateTempSubdirectory("devk8s-agent-local-").FullName;
    private readonly string _remote = Directory.CreateTempSubdirectory("devk8s-agent-remote-").FullName;
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var p in _started) { try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { } p.Dispose(); }
        Directory.Delete(_local, true);
        Directory.Delete(_remote, true);
    }

    public static TheoryData<string> Toolsets => new() { "gnu", "busybox" };

    private SyncAgent Start(string toolset)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        if (toolset == "busybox")
        {
            Assert.True(File.Exists("/bin/busybox"), "busybox-static is installed by tests/cluster/up; run it first");
            var bin = Directory.CreateTempSubdirectory("devk8s-busybox-").FullName;
            foreach (var applet in new[] { "sh", "tar", "head", "find", "md5sum", "gzip", "mkdir", "rm", "cat", "kill", "echo", "test", "[", "stat" })
                File.CreateSymbolicLink(Path.Combine(bin, applet), "/bin/busybox");
            info = new ProcessStartInfo(Path.Combine(bin, "sh")) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            info.Environment["PATH"] = bin;
        }
        else if (toolset == "gnu-without-stat")
        {
            // The tools dev mode requires, and nothing else.
            var bin = Directory.CreateTempSubdirectory("devk8s-nostat-").FullName;
            foreach (var tool in new[] { "tar", "head", "find", "md5sum", "gzip", "mkdir", "rm", "cat", "kill" })
                File.CreateSymbolicLink(Path.Combine(bin, tool), new[] { "/usr/bin/", "/bin/" }.Select(d => d + tool).First(File.Exists));
            info.Environment["PATH"] = bin;
        }
        info.Environment["DEVK8S_STATE"] = Path.Combine(_remote, ".devk8s-state"); // not the machine's /tmp/.devk8s
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(SyncAgent.ShellScript);
        var process = Process.Start(info)!;
        _started.Add(process);
        _ = process.StandardError.ReadToEndAsync();
        return new SyncAgent(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, process.WaitForExitAsync(), "local");
    }

    private void Local(string rel, string text)
    {
        var path = Path.Combine(_local, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static IReadOnlyCollection<LocalEntry> Entries(string root) =>
        LocalTree.Scan(root, new SyncFilter(root, [], false, root)).Values.ToList();

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task Tar_batches_extract_plain_and_compressed_with_odd_names(string toolset)
    {
        await using var agent = Start(toolset);
        Local("a.txt", "alpha\n");
        Local("dir with space/ü ñ.txt", "unicode\n");
        Local("deep/er/empty.txt", "");
        Directory.CreateDirectory(Path.Combine(_local, "emptydir"));
        Local(new string('x', 120) + "/" + new string('y', 120) + ".txt", "long\n");
        foreach (var compress in new[] { false, true })
        {
            using var batch = TarBatch.Build(_local, Entries(_local), compress);
            Assert.Equal(0, await agent.SendTarAsync(Path.Combine(_remote, compress ? "z" : "t"), batch, default));
            var target = Path.Combine(_remote, compress ? "z" : "t");
            Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(target, "a.txt")));
            Assert.Equal("unicode\n", File.ReadAllText(Path.Combine(target, "dir with space", "ü ñ.txt")));
            Assert.Equal(0, new FileInfo(Path.Combine(target, "deep/er/empty.txt")).Length);
            Assert.True(Directory.Exists(Path.Combine(target, "emptydir")));
            Assert.Equal("long\n", File.ReadAllText(Path.Combine(target, new string('x', 120), new string('y', 120) + ".txt")));
        }
        // The stream stays in step after each request.
        Assert.Equal(0, await agent.PingAsync(default));
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task Listing_hashes_match_local_hashes_and_deletes_stay_inside_the_target(string toolset)
    {
        await using var agent = Start(toolset);
        Local("keep.txt", "k\n");
        Local("sub/gone.txt", "g\n");
        Local("sub/other.txt", "o\n");
        using (var batch = TarBatch.Build(_local, Entries(_local), compress: true))
            await agent.SendTarAsync(Path.Combine(_remote, "app"), batch, default);
        File.WriteAllText(Path.Combine(_remote, "outside.txt"), "must survive");

        var tree = await agent.ListAsync(Path.Combine(_remote, "app"), default);
        Assert.Equal(LocalTree.Hash(Path.Combine(_local, "keep.txt")), tree.FileHashes["keep.txt"]);
        Assert.Equal(new[] { "keep.txt", "sub/gone.txt", "sub/other.txt" }, tree.FileHashes.Keys.Order());
        Assert.Contains("sub", tree.Directories);

        Assert.Equal(0, await agent.DeleteAsync(Path.Combine(_remote, "app"), ["sub/gone.txt", "not-there.txt"], default));
        Assert.False(File.Exists(Path.Combine(_remote, "app/sub/gone.txt")));
        Assert.True(File.Exists(Path.Combine(_remote, "app/sub/other.txt")));
        Assert.True(File.Exists(Path.Combine(_remote, "outside.txt")));
        await Assert.ThrowsAsync<ArgumentException>(() => agent.DeleteAsync(Path.Combine(_remote, "app"), ["../outside.txt"], default));
        Assert.True(File.Exists(Path.Combine(_remote, "outside.txt")));
        var empty = await agent.ListAsync(Path.Combine(_remote, "missing"), default);
        Assert.Empty(empty.FileHashes);
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task A_failing_step_consumes_its_payload_and_reports_its_status(string toolset)
    {
        await using var agent = Start(toolset);
        Local("a.txt", "a\n");
        File.WriteAllText(Path.Combine(_remote, "blocker"), "a file where a folder should be");
        using (var batch = TarBatch.Build(_local, Entries(_local), compress: false))
            Assert.NotEqual(0, await agent.SendTarAsync(Path.Combine(_remote, "blocker"), batch, default));
        Assert.Equal(0, await agent.PingAsync(default));
        Assert.Equal(7, await agent.RunAsync(_remote, "echo hook > hook.out; exit 7", default));
        Assert.Equal("hook\n", File.ReadAllText(Path.Combine(_remote, "hook.out")));
        Assert.Equal(3, await agent.RestartAsync(default)); // no supervised process here
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task A_run_command_with_windows_line_endings_runs_as_written(string toolset)
    {
        // devk8s.yaml edited on Windows: without normalising, sh would create "made\r".
        await using var agent = Start(toolset);
        Assert.Equal(0, await agent.RunAsync(_remote, "echo one > made\r\necho two >> made\r\n", default));
        Assert.Equal("one\ntwo\n", File.ReadAllText(Path.Combine(_remote, "made")));
        Assert.Equal(["made"], Directory.GetFiles(_remote).Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task The_listing_reports_the_containers_file_modes(string toolset)
    {
        Directory.CreateDirectory(Path.Combine(_remote, "app/bin"));
        File.WriteAllText(Path.Combine(_remote, "app/bin/run.sh"), "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(_remote, "app/bin/run.sh"), (UnixFileMode)0b111_101_000); // 0750
        File.WriteAllText(Path.Combine(_remote, "app/private.txt"), "p\n");
        File.SetUnixFileMode(Path.Combine(_remote, "app/private.txt"), (UnixFileMode)0b110_000_000); // 0600

        await using var agent = Start(toolset);
        var tree = await agent.ListAsync(Path.Combine(_remote, "app"), default, withModes: true);
        Assert.Equal("750", Octal(tree.Modes["bin/run.sh"]));
        Assert.Equal("600", Octal(tree.Modes["private.txt"]));
        Assert.Equal(2, tree.FileHashes.Count);
    }

    [Fact]
    public async Task Modes_are_listed_only_when_asked_for()
    {
        File.WriteAllText(Path.Combine(_remote, "a.txt"), "a\n");
        await using var agent = Start("gnu");
        Assert.Empty((await agent.ListAsync(_remote, default)).Modes);
        Assert.False(new FileModes(_local).WantsRemoteModes); // Linux reads its own modes
        Assert.Single((await agent.ListAsync(_remote, default, withModes: true)).Modes);
    }

    [Fact]
    public async Task Without_stat_in_the_image_the_listing_still_works_and_modes_are_unknown()
    {
        File.WriteAllText(Path.Combine(_remote, "a.txt"), "a\n");
        await using var agent = Start("gnu-without-stat");
        var tree = await agent.ListAsync(_remote, default, withModes: true);
        Assert.Empty(tree.Modes);
        Assert.Equal(["a.txt"], tree.FileHashes.Keys);
        Assert.Equal(0, await agent.PingAsync(default));
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task From_a_tree_without_modes_edits_keep_the_containers_mode_and_new_files_take_gits(string toolset)
    {
        // A Windows working tree, simulated: every local file is 0644 here and must not decide.
        Git(_local, "init", "-q");
        Local("tool.sh", "#!/bin/sh\necho v2\n");
        Local("new.sh", "#!/bin/sh\necho new\n");
        Local("notes.txt", "untracked\n");
        Git(_local, "add", "tool.sh", "new.sh");
        Git(_local, "update-index", "--chmod=+x", "new.sh");
        foreach (var f in Directory.GetFiles(_local)) File.SetUnixFileMode(f, (UnixFileMode)0b110_100_100);
        var target = Path.Combine(_remote, "app");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "tool.sh"), "#!/bin/sh\necho v1\n");
        File.SetUnixFileMode(Path.Combine(target, "tool.sh"), (UnixFileMode)0b111_101_101); // the image's 0755

        await using var agent = Start(toolset);
        var modes = new FileModes(_local, localModes: false);
        Assert.True(modes.WantsRemoteModes);
        modes.SetRemote((await agent.ListAsync(target, default, modes.WantsRemoteModes)).Modes);
        using (var batch = TarBatch.Build(_local, Entries(_local).Where(e => e.Kind == EntryKind.File).ToList(), compress: true, modes))
            Assert.Equal(0, await agent.SendTarAsync(target, batch, default));

        Assert.Equal("#!/bin/sh\necho v2\n", File.ReadAllText(Path.Combine(target, "tool.sh")));
        Assert.Equal("755", Octal(File.GetUnixFileMode(Path.Combine(target, "tool.sh")))); // git says 100644: the container's wins
        Assert.Equal("755", Octal(File.GetUnixFileMode(Path.Combine(target, "new.sh"))));  // git's 100755
        Assert.Equal("644", Octal(File.GetUnixFileMode(Path.Combine(target, "notes.txt")))); // untracked
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8);

    private static void Git(string dir, params string[] args)
    {
        var result = GitCli.Run(dir, args);
        Assert.True(result is (0, _), $"git {string.Join(' ', args)} failed");
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task Absolute_links_inside_the_tree_arrive_as_relative_links_the_container_can_follow(string toolset)
    {
        // What a junction looks like to the scan: a folder link with an absolute target.
        Local("shared/lib/util.js", "util\n");
        Directory.CreateDirectory(Path.Combine(_local, "web"));
        Directory.CreateSymbolicLink(Path.Combine(_local, "web", "lib"), Path.Combine(_local, "shared", "lib"));
        File.CreateSymbolicLink(Path.Combine(_local, "latest.js"), Path.Combine(_local, "shared", "lib", "util.js"));
        var warnings = new List<string>();
        var entries = LocalTree.Scan(_local, new SyncFilter(_local, [], false, _local), warnings.Add);
        Assert.Empty(warnings);
        Assert.Equal("../shared/lib", entries["web/lib"].LinkTarget);
        Assert.Equal("shared/lib/util.js", entries["latest.js"].LinkTarget);

        await using var agent = Start(toolset);
        var target = Path.Combine(_remote, "app");
        using (var batch = TarBatch.Build(_local, entries.Values.ToList(), compress: true))
            Assert.Equal(0, await agent.SendTarAsync(target, batch, default));
        Assert.Equal("util\n", File.ReadAllText(Path.Combine(target, "web/lib/util.js")));
        Assert.Equal("util\n", File.ReadAllText(Path.Combine(target, "latest.js")));
    }

    [Fact]
    public void Symlinks_inside_the_tree_are_kept_as_links_and_links_out_of_it_are_refused()
    {
        Local("real.txt", "r\n");
        File.CreateSymbolicLink(Path.Combine(_local, "inside"), "real.txt");
        File.CreateSymbolicLink(Path.Combine(_local, "outside"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_local, "escape"), "../../etc/passwd");
        var warnings = new List<string>();
        var entries = LocalTree.Scan(_local, new SyncFilter(_local, [], false, _local), warnings.Add);
        Assert.Equal(EntryKind.Symlink, entries["inside"].Kind);
        Assert.False(entries.ContainsKey("outside"));
        Assert.False(entries.ContainsKey("escape"));
        Assert.Equal(2, warnings.Count(w => w.Contains("points outside the synced folder")));
    }
}
