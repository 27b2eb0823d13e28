using System.Diagnostics;
using DevK8s.Engine.Relay;
using Xunit;

namespace DevK8s.Engine.Tests.Relay;

/// <summary>The container side as the dev template will use it, run under busybox sh locally.</summary>
public class RelayAgentTests
{
    [Fact]
    public void The_module_build_ships_a_static_agent_for_both_architectures()
    {
        foreach (var arch in new[] { "amd64", "arm64" })
        {
            var path = RelayAgent.LocalBinary(arch);
            var elf = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, elf[..4]);
            Assert.Equal(arch == "amd64" ? 0x3E : 0xB7, BitConverter.ToUInt16(elf, 18)); // e_machine
            Assert.True(elf.Length < 4 << 20, $"{path} is {elf.Length} bytes");
            // No PT_INTERP program header: no dynamic loader, so it runs on musl, glibc or no libc at all.
            var phoff = (int)BitConverter.ToUInt64(elf, 32);
            var phentsize = BitConverter.ToUInt16(elf, 54);
            var phnum = BitConverter.ToUInt16(elf, 56);
            Assert.True(phnum > 0);
            for (var i = 0; i < phnum; i++)
                Assert.NotEqual(3u, BitConverter.ToUInt32(elf, phoff + i * phentsize));
        }
    }

    [Fact]
    public async Task The_container_command_waits_for_the_upload_then_serves()
    {
        Assert.True(File.Exists("/bin/busybox"), "busybox-static is installed by tests/cluster/up; run it first");
        var dir = Directory.CreateTempSubdirectory("devk8s-relay-cmd-").FullName;
        var port = LocalAgent.FreePort();
        var command = RelayAgent.ContainerCommand([port], LocalAgent.FreePort())[2].Replace(RelayAgent.RemotePath, Path.Combine(dir, "devk8s-agent"));
        var info = new ProcessStartInfo("/bin/busybox", ["sh", "-c", command]) { RedirectStandardError = true };
        using var shell = Process.Start(info)!;
        try
        {
            await Task.Delay(500);
            Assert.False(shell.HasExited, "the container command ended before the agent arrived");
            // As the upload does it: written under another name, made executable, renamed. File.Copy keeps the
            // source's +x from the first byte, and the waiting shell would exec a half-written file ("text file busy").
            File.Copy(AgentBinary.Path, Path.Combine(dir, "upload.tmp"));
            if (OperatingSystem.IsLinux()) File.SetUnixFileMode(Path.Combine(dir, "upload.tmp"), (UnixFileMode)0b111_101_101);
            File.Move(Path.Combine(dir, "upload.tmp"), Path.Combine(dir, "devk8s-agent"));
            var watch = Stopwatch.StartNew();
            while (true)
            {
                // With no client attached the agent resets connections: a reset (not a refusal) shows it serves.
                try { using var c = await Net.ConnectAsync(port, CancellationToken.None); break; }
                catch (System.Net.Sockets.SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(30)) { await Task.Delay(50); } // a loaded CI machine starts the agent slowly
            }
            Assert.False(shell.HasExited);
        }
        finally
        {
            if (!shell.HasExited) shell.Kill();
            await shell.WaitForExitAsync();
            Directory.Delete(dir, true);
        }
    }
}
