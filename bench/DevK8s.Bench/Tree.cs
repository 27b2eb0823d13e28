namespace DevK8s.Bench;

/// <summary>A source-like tree: folders of small text files.</summary>
internal static class Tree
{
    public static void Create(string root, int files, int perFolder = 100)
    {
        for (var i = 0; i < files; i++)
        {
            var dir = Path.Combine(root, $"d{i / perFolder:000}");
            if (i % perFolder == 0) Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, $"f{i % perFolder:000}.txt"), $"// file {i}\n" + new string('x', 180) + "\n");
        }
    }
}
