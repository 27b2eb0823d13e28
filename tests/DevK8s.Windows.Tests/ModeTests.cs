using System.Formats.Tar;
using DevK8s.Engine.Sync;
using Xunit;
using static DevK8s.Windows.Tests.WindowsTestEnvironment;

namespace DevK8s.Windows.Tests;

/// <summary>A Windows working tree has no Unix modes: what goes into the tar instead.</summary>
public class ModeTests
{
    private const UnixFileMode Mode755 = (UnixFileMode)0b111_101_101;
    private const UnixFileMode Mode644 = (UnixFileMode)0b110_100_100;

    [Fact]
    public void Files_the_container_has_keep_its_mode_and_new_files_outside_git_are_0644()
    {
        var dir = FreshFolder("modes");
        try
        {
            Write(Path.Combine(dir, "bin", "start.sh"), "#!/bin/sh\n");
            Write(Path.Combine(dir, "new.txt"), "n\n");
            var modes = new FileModes(dir); // the Windows default: no local modes
            modes.SetRemote(new Dictionary<string, UnixFileMode> { ["bin/start.sh"] = Mode755 });
            var entries = LocalTree.Scan(dir, new SyncFilter(dir, [], false, dir)).Values.Where(e => e.Kind == EntryKind.File).ToList();
            using var batch = TarBatch.Build(dir, entries, compress: false, modes);
            var sent = new Dictionary<string, UnixFileMode>();
            using (var reader = new TarReader(batch.Content))
                while (reader.GetNextEntry() is { } entry) sent[entry.Name] = entry.Mode;
            Assert.Equal(Mode755, sent["bin/start.sh"]);
            Assert.Equal(Mode644, sent["new.txt"]);
        }
        finally { Directory.Delete(dir, true); }
    }
}
