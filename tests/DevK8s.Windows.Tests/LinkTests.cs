using System.Diagnostics;
using DevK8s.Engine.Sync;
using Xunit;
using static DevK8s.Windows.Tests.WindowsTestEnvironment;

namespace DevK8s.Windows.Tests;

/// <summary>
/// Junctions and symbolic links inside a Windows working tree. Wine 8 creates neither (mklink
/// reports success and makes nothing): real Windows only; PathContainmentTests cover the logic on Linux.
/// </summary>
[Trait("Needs", "reparse-points")]
public class LinkTests
{
    private static void Junction(string link, string target)
    {
        // .NET has no API to create a junction; cmd's mklink /J is what users run.
        var cmd = Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe";
        using var p = Process.Start(new ProcessStartInfo(cmd) { ArgumentList = { "/c", "mklink", "/J", link, target }, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"mklink /J {link} {target} did not finish in 30 s");
        }
        Assert.True(p.ExitCode == 0 && new DirectoryInfo(link).LinkTarget is not null,
            $"mklink /J {link} {target} made no junction (exit {p.ExitCode}): {stdout.Result}{stderr.Result}");
    }

    [Fact]
    public void A_junction_inside_the_tree_syncs_as_a_relative_link_and_one_leading_out_is_refused()
    {
        var dir = FreshFolder("junction");
        try
        {
            Write(Path.Combine(dir, "shared", "lib", "util.js"), "util\n");
            Directory.CreateDirectory(Path.Combine(dir, "web"));
            Junction(Path.Combine(dir, "web", "lib"), Path.Combine(dir, "shared", "lib"));
            Junction(Path.Combine(dir, "windows"), Environment.GetFolderPath(Environment.SpecialFolder.Windows));
            var warnings = new List<string>();
            var entries = LocalTree.Scan(dir, new SyncFilter(dir, [], false, dir), warnings.Add);
            Assert.Equal(EntryKind.Symlink, entries["web/lib"].Kind);
            Assert.Equal("../shared/lib", entries["web/lib"].LinkTarget);
            Assert.False(entries.ContainsKey("windows"));
            Assert.Contains(warnings, w => w.Contains("'windows'") && w.Contains("points outside the synced folder"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void An_absolute_file_symlink_inside_the_tree_syncs_as_a_relative_link()
    {
        var dir = FreshFolder("symlink");
        try
        {
            Write(Path.Combine(dir, "conf", "app.json"), "{}\n");
            // Needs Developer Mode or an elevated shell on Windows, as for git's core.symlinks.
            File.CreateSymbolicLink(Path.Combine(dir, "current.json"), Path.Combine(dir, "conf", "app.json"));
            Assert.NotNull(new FileInfo(Path.Combine(dir, "current.json")).LinkTarget);
            var entries = LocalTree.Scan(dir, new SyncFilter(dir, [], false, dir));
            Assert.Equal("conf/app.json", entries["current.json"].LinkTarget);
        }
        finally { Directory.Delete(dir, true); }
    }
}
