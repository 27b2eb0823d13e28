namespace DevK8s.Engine.Paths;

/// <summary>How one OS spells paths: separators, how names compare, whether drives and UNC roots exist.</summary>
public sealed record PathFlavor(char[] Separators, StringComparison Comparison, bool HasDrives)
{
    public static readonly PathFlavor Unix = new(['/'], StringComparison.Ordinal, false);
    public static readonly PathFlavor MacOs = new(['/'], StringComparison.OrdinalIgnoreCase, false);
    public static readonly PathFlavor Windows = new(['\\', '/'], StringComparison.OrdinalIgnoreCase, true);

    /// <summary>This machine's: names compare as its default file systems do (NTFS and APFS ignore case).</summary>
    public static PathFlavor Current { get; } =
        OperatingSystem.IsWindows() ? Windows : OperatingSystem.IsMacOS() ? MacOs : Unix;
}

/// <summary>
/// Whether a path lies inside a folder, by whole path segments. String prefixes get this wrong at a
/// drive root ("P:\" + "\" is no prefix of anything), with another letter case on Windows, and for
/// "/app2" against "/app". Pure: Windows paths are testable on Linux through <see cref="PathFlavor"/>.
/// </summary>
public static class PathContainment
{
    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or inside it; both absolute.</summary>
    public static bool IsInside(string root, string path, PathFlavor? flavor = null)
    {
        flavor ??= PathFlavor.Current;
        return Normalise(Segments(root, flavor)) is { } rootParts && Normalise(Segments(path, flavor)) is { } parts && StartsWith(parts, rootParts, flavor);
    }

    /// <summary>
    /// For a link at <paramref name="linkPath"/> whose target is <paramref name="target"/> (relative or
    /// absolute, as the file system stores it: junctions always hold absolute targets), the target
    /// relative to the link's folder, '/'-separated, when it resolves inside <paramref name="root"/>;
    /// null when it leads out. A container can follow only a relative link.
    /// </summary>
    public static string? RelativeLinkTarget(string root, string linkPath, string target, PathFlavor? flavor = null)
    {
        flavor ??= PathFlavor.Current;
        target = StripDevicePrefix(target);
        var linkDir = Segments(linkPath, flavor);
        linkDir.RemoveAt(linkDir.Count - 1);
        var resolved = Normalise(IsRooted(target, flavor)
            ? Segments(target, flavor)
            : [.. linkDir, .. Segments(target, flavor)]);
        if (resolved is null || Normalise(Segments(root, flavor)) is not { } rootParts || !StartsWith(resolved, rootParts, flavor)) return null;
        var linkNorm = Normalise(linkDir)!;
        var common = 0;
        while (common < linkNorm.Count && common < resolved.Count && string.Equals(linkNorm[common], resolved[common], flavor.Comparison)) common++;
        var relative = Enumerable.Repeat("..", linkNorm.Count - common).Concat(resolved.Skip(common)).ToList();
        return relative.Count == 0 ? "." : string.Join('/', relative);
    }

    private static bool IsRooted(string path, PathFlavor flavor) =>
        path.Length > 0 && flavor.Separators.Contains(path[0])
        || flavor.HasDrives && path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':';

    // Junction targets can come back as "\??\P:\x" (NT namespace) or "\\?\P:\x"; both mean "P:\x".
    private static string StripDevicePrefix(string path) =>
        path.StartsWith(@"\??\", StringComparison.Ordinal) || path.StartsWith(@"\\?\", StringComparison.Ordinal) ? path[4..] : path;

    /// <summary>The path's names, root first ("P:" for a drive, the server for UNC, nothing for "/").</summary>
    private static List<string> Segments(string path, PathFlavor flavor) =>
        StripDevicePrefix(path).Split(flavor.Separators, StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Resolves "." and ".."; null when ".." would climb above the root.</summary>
    private static List<string>? Normalise(List<string> segments)
    {
        var result = new List<string>();
        foreach (var s in segments)
        {
            if (s == ".") continue;
            if (s == "..")
            {
                if (result.Count == 0) return null;
                result.RemoveAt(result.Count - 1);
            }
            else result.Add(s);
        }
        return result;
    }

    private static bool StartsWith(List<string> parts, List<string> prefix, PathFlavor flavor) =>
        parts.Count >= prefix.Count && prefix.Select((s, i) => string.Equals(s, parts[i], flavor.Comparison)).All(same => same);
}
