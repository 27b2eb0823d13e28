namespace DevK8s.Engine.Local;

/// <summary>Finds programs on PATH the way shells do (PATHEXT on Windows) and reads their version.</summary>
public static class ExecutableFinder
{
    public static string? Find(string name) =>
        Find(name, Environment.GetEnvironmentVariable("PATH"), Environment.GetEnvironmentVariable("PATHEXT"));

    /// <summary>Looks <paramref name="name"/> up on a given PATH (a child's environment, not necessarily ours); PATHEXT on Windows.</summary>
    public static string? Find(string name, string? path, string? pathExt)
    {
        if (Path.IsPathRooted(name) || name.Contains(Path.DirectorySeparatorChar))
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        var extensions = OperatingSystem.IsWindows()
            ? (Path.HasExtension(name) ? [""] : Array.Empty<string>()).Concat((pathExt ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries)).ToArray()
            : [""];
        foreach (var dir in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var ext in extensions)
            {
                var candidate = Path.Combine(dir, name + ext);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>Runs a program briefly and returns its output (stderr when stdout is empty), or null when it fails or hangs.</summary>
    public static async Task<string?> ReadOutputAsync(string path, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            var result = await ProcessRunner.RunAsync(new ProcessSpec([path, .. args]), timeout, ct).ConfigureAwait(false);
            var text = result.Stdout.Trim();
            if (text.Length == 0) text = result.Stderr.Trim();
            return text.Length == 0 ? null : text;
        }
        catch (LocalProcessException)
        {
            return null;
        }
    }
}
