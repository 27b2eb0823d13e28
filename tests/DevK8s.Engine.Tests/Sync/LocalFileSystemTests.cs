using DevK8s.Engine.Sync;
using Xunit;

namespace DevK8s.Engine.Tests.Sync;

/// <summary>The Windows/NTFS rules of the sync, as pure functions (the Windows leg runs them on Windows itself).</summary>
public class LocalFileSystemTests
{
    private static readonly HashSet<string> Local = new(StringComparer.Ordinal) { "Readme.md", "src/app.py", "data" };

    [Theory]
    [InlineData("README.md", true, true, false)]     // a case twin of Readme.md: one file on this disk, keep it in the container
    [InlineData("README.md", false, false, true)]    // Linux: a different file that is gone locally
    [InlineData("Readme.md", true, true, true)]
    [InlineData("old.txt", true, true, true)]        // really deleted locally
    [InlineData("logs/aux.log", true, true, false)]  // reserved device name on Windows
    [InlineData("logs/aux.log", false, false, true)]
    [InlineData("con", true, true, false)]
    [InlineData("a:b.txt", true, true, false)]
    [InlineData("trailing.", true, true, false)]
    [InlineData("what?.txt", true, true, false)]
    [InlineData("SRC/app.py", false, true, false)]   // macOS: case-insensitive too
    public void Container_files_that_cannot_exist_locally_are_never_deleted(string path, bool windows, bool caseInsensitive, bool deletable) =>
        Assert.Equal(deletable, LocalFileSystem.CanExistLocally(path, Local, windows, caseInsensitive));

    [Fact]
    public void A_folder_timestamp_change_is_not_a_content_change()
    {
        Assert.False(LocalFileSystem.IsContentEvent(WatcherChangeTypes.Changed, isDirectory: true));
        Assert.True(LocalFileSystem.IsContentEvent(WatcherChangeTypes.Changed, isDirectory: false));
        Assert.True(LocalFileSystem.IsContentEvent(WatcherChangeTypes.Created, isDirectory: true));
        Assert.True(LocalFileSystem.IsContentEvent(WatcherChangeTypes.Renamed, isDirectory: true));
    }

    [Theory]
    [InlineData(@"\\wsl$\Ubuntu\home\me\shop", DriveType.Fixed, true)]
    [InlineData(@"\\server\share\shop", DriveType.Fixed, true)]
    [InlineData(@"Z:\shop", DriveType.Network, true)]
    [InlineData(@"C:\src\shop", DriveType.Fixed, false)]
    public void Network_shares_and_WSL_paths_are_polled(string root, DriveType type, bool poll) =>
        Assert.Equal(poll, LocalFileSystem.NeedsPolling(root, _ => type));

    [Fact]
    public void Only_the_exact_spelling_exists_after_a_case_only_rename()
    {
        var root = Directory.CreateTempSubdirectory("devk8s-case-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "Docs"));
            File.WriteAllText(Path.Combine(root, "Docs", "README.md"), "x");
            Assert.True(LocalFileSystem.ExistsWithExactCase(root, "Docs/README.md"));
            Assert.False(LocalFileSystem.ExistsWithExactCase(root, "Docs/Readme.md"));
            Assert.False(LocalFileSystem.ExistsWithExactCase(root, "docs/README.md"));
            Assert.False(LocalFileSystem.ExistsWithExactCase(root, "Docs/missing.md"));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void A_sharing_violation_is_a_locked_file_and_a_missing_file_is_not()
    {
        Assert.True(LocalFileSystem.IsLocked(new IOException("The process cannot access the file because it is being used by another process.", unchecked((int)0x80070020))));
        Assert.False(LocalFileSystem.IsLocked(new FileNotFoundException()));
        Assert.False(LocalFileSystem.IsLocked(new DirectoryNotFoundException()));
    }
}
