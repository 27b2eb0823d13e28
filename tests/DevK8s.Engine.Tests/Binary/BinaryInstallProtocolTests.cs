using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using DevK8s.Engine.Sync;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// The agent's binary install (B) and file hash (S) requests, run locally under GNU coreutils, busybox,
/// and coreutils without sha256sum (the md5 fallback), against a target that is a running executable.
/// </summary>
public class BinaryInstallProtocolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-install-").FullName;
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var p in _started) { try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { } p.Dispose(); }
        Directory.Delete(_dir, true);
    }

    public static TheoryData<string> Toolsets => new() { "gnu", "busybox", "gnu-no-sha256sum" };

    private SyncAgent Start(string toolset)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        if (toolset.StartsWith("busybox"))
        {
            Assert.True(File.Exists("/bin/busybox"), "busybox-static is installed by tests/cluster/up; run it first");
            var bin = Directory.CreateTempSubdirectory("devk8s-busybox-").FullName;
            var applets = new[] { "sh", "head", "md5sum", "sha256sum", "gzip", "mkdir", "rm", "cat", "kill", "echo", "test", "[", "mv", "chmod", "tee" };
            foreach (var applet in applets)
                File.CreateSymbolicLink(Path.Combine(bin, applet), "/bin/busybox");
            info = new ProcessStartInfo(Path.Combine(bin, "sh")) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            info.Environment["PATH"] = bin;
        }
        else if (toolset == "gnu-no-sha256sum")
        {
            // busybox's sh runs its own applets whatever PATH says, so the fallback is tested with dash and coreutils.
            var bin = Directory.CreateTempSubdirectory("devk8s-nosha-").FullName;
            foreach (var tool in new[] { "head", "md5sum", "gzip", "rm", "cat", "mv", "chmod", "tee" })
                File.CreateSymbolicLink(Path.Combine(bin, tool), Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "command -v " + tool]) { RedirectStandardOutput = true })!.StandardOutput.ReadToEnd().Trim());
            info.Environment["PATH"] = bin;
        }
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(SyncAgent.ShellScript);
        var process = Process.Start(info)!;
        _started.Add(process);
        _ = process.StandardError.ReadToEndAsync();
        return new SyncAgent(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, process.WaitForExitAsync(), "local");
    }

    private static (MemoryStream Gz, string Sha256, string Md5) Payload(byte[] content)
    {
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(content);
        gz.Position = 0;
        return (gz, Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant(), Convert.ToHexString(MD5.HashData(content)).ToLowerInvariant());
    }

    [Theory]
    [MemberData(nameof(Toolsets))]
    public async Task Installs_over_a_running_executable_by_rename_and_verifies_the_hash(string toolset)
    {
        await using var agent = Start(toolset);
        var target = Path.Combine(_dir, "app");
        File.Copy("/bin/sleep", target);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // The old program keeps running from its inode: no "text file busy", no truncation.
        var running = Process.Start(target, "30");
        _started.Add(running);

        var content = File.ReadAllBytes("/bin/true").Concat(RandomNumberGenerator.GetBytes(300_000)).ToArray();
        var (gz, sha, md5) = Payload(content);
        Assert.Equal(0, await agent.InstallBinaryAsync(target, true, [sha, md5], gz, gz.Length, default));
        Assert.Equal(content, File.ReadAllBytes(target));
        Assert.True(File.GetUnixFileMode(target).HasFlag(UnixFileMode.OtherExecute), "the new binary is mode 0755");
        Assert.False(File.Exists(target + ".devk8s-new"));
        Assert.False(running.HasExited);
        var remote = await agent.FileHashAsync(target, default);
        Assert.Equal(toolset == "gnu-no-sha256sum" ? md5 : sha, remote);

        // Raw (an artifact that does not compress), only the hash this image can check.
        var raw = RandomNumberGenerator.GetBytes(200_000);
        var rawSha = Convert.ToHexString(SHA256.HashData(raw)).ToLowerInvariant();
        var rawMd5 = Convert.ToHexString(MD5.HashData(raw)).ToLowerInvariant();
        Assert.Equal(0, await agent.InstallBinaryAsync(target, false, [toolset == "gnu-no-sha256sum" ? rawMd5 : rawSha], new MemoryStream(raw), raw.Length, default));
        Assert.Equal(raw, File.ReadAllBytes(target));
        Assert.False(running.HasExited);
        File.WriteAllBytes(target, content);

        // A corrupted transfer (hash mismatch) replaces nothing and leaves no temporary file.
        var (bad, _, _) = Payload(RandomNumberGenerator.GetBytes(1000));
        Assert.Equal(4, await agent.InstallBinaryAsync(target, true, [sha, md5], bad, bad.Length, default));
        Assert.Equal(content, File.ReadAllBytes(target));
        Assert.False(File.Exists(target + ".devk8s-new"));

        // A folder that does not exist: a write failure, and the stream stays in step.
        var (gz2, sha2, md52) = Payload([1, 2, 3]);
        Assert.NotEqual(0, await agent.InstallBinaryAsync(Path.Combine(_dir, "missing", "app"), true, [sha2, md52], gz2, gz2.Length, default));
        Assert.Null(await agent.FileHashAsync(Path.Combine(_dir, "absent"), default));
        Assert.Equal(0, await agent.PingAsync(default));
    }
}
