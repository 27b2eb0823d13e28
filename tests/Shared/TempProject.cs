namespace DevK8s.Tests.Shared;

/// <summary>A throwaway project folder with a devk8s.yaml and any other files a test needs.</summary>
public sealed class TempProject : IDisposable
{
    public string Directory { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "devk8s-test-" + Guid.NewGuid().ToString("N")[..10]);

    public TempProject(string? config = null)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (config is not null) Write("devk8s.yaml", config);
    }

    public string Write(string relativePath, string text)
    {
        var path = System.IO.Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        return path;
    }

    public string PathOf(string relativePath) => System.IO.Path.Combine(Directory, relativePath);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
