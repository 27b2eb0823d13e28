using Xunit;

namespace DevK8s.Windows.Tests;

/// <summary>What tests/windows/run (or a person on a real Windows machine) provides.</summary>
internal static class WindowsTestEnvironment
{
    /// <summary>
    /// A drive letter of its own, mapped to an empty folder ("P:\"): a project at a drive root.
    /// Under Wine: a link in the prefix's dosdevices; on Windows: subst P: %TEMP%\devk8s-p.
    /// </summary>
    public static string DriveRoot()
    {
        var root = Environment.GetEnvironmentVariable("DEVK8S_TEST_DRIVE_ROOT");
        Assert.True(!string.IsNullOrEmpty(root) && Directory.Exists(root),
            "DEVK8S_TEST_DRIVE_ROOT must name a drive root mapped to an empty folder, e.g. P:\\ (tests/windows/run sets it up; on Windows: subst P: <folder>)");
        return root!;
    }

    /// <summary>A fresh folder on the test drive, removed afterwards by the caller.</summary>
    public static string FreshFolder(string name)
    {
        var dir = Path.Combine(DriveRoot(), name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
