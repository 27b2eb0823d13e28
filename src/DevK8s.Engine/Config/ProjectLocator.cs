namespace DevK8s.Engine.Config;

/// <summary>Finds devk8s.yaml the way git finds .git: in the folder or the nearest parent.</summary>
public static class ProjectLocator
{
    public static string? Find(string startDirectory)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ConfigLoader.FileName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>A file path is taken as is; a folder is searched upwards.</summary>
    public static string Resolve(string? path, string currentDirectory)
    {
        var start = path is null ? currentDirectory : Path.GetFullPath(path, currentDirectory);
        if (File.Exists(start)) return start;
        if (path is not null && !Directory.Exists(start))
            throw new FileNotFoundException($"'{path}' is neither a devk8s.yaml file nor a folder.", start);
        return Find(start) ?? throw new FileNotFoundException(
            $"No {ConfigLoader.FileName} in {start} or any parent folder. Create one next to your prod manifests (see the README), or pass -Path.",
            Path.Combine(start, ConfigLoader.FileName));
    }
}
