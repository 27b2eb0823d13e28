namespace DevK8s.Shell;

internal static class RepoRoot
{
    public static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "DevK8s.psd1"))) return dir.FullName;
        throw new InvalidOperationException("DevK8s.psd1 not found above " + AppContext.BaseDirectory);
    }
}
