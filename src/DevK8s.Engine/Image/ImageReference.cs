using System.Text.RegularExpressions;

namespace DevK8s.Engine.Image;

/// <summary>
/// An image reference read with Docker's rules: the first path part is a registry only when it has
/// a '.' or ':' or is "localhost"; otherwise the image is on Docker Hub, where one-part names live
/// under "library/". No tag and no digest means ":latest".
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>The host the registry API answers on (Docker Hub's API is not on docker.io itself).</summary>
    public string ApiHost => Registry == DockerHub ? "registry-1.docker.io" : Registry;

    /// <summary>What goes after /manifests/: the digest when pinned, else the tag.</summary>
    public string ManifestReference => Digest ?? Tag ?? "latest";

    public ImageReference WithDigest(string digest) => this with { Digest = digest };
    public ImageReference WithTag(string? tag) => this with { Tag = tag };
    public ImageReference InRepository(string repository) => this with { Repository = repository, Tag = null, Digest = null };

    /// <summary>Registry and repository without tag or digest, e.g. "127.0.0.1:5000/team/api".</summary>
    public string Name => $"{Registry}/{Repository}";

    public override string ToString() => Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    public static ImageReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        if (s.Length == 0) throw new FormatException("An image reference is empty. Write it as [registry/]name[:tag][@sha256:digest], e.g. 127.0.0.1:5000/api:dev.");
        string? digest = null;
        var at = s.IndexOf('@');
        if (at >= 0)
        {
            digest = s[(at + 1)..];
            s = s[..at];
            if (!DigestPattern().IsMatch(digest))
                throw new FormatException($"'{text}' has an invalid digest '{digest}': expected algorithm:hex, e.g. sha256: followed by 64 hex digits.");
        }
        string? tag = null;
        var colon = s.LastIndexOf(':');
        if (colon > s.LastIndexOf('/'))
        {
            tag = s[(colon + 1)..];
            s = s[..colon];
            if (!TagPattern().IsMatch(tag))
                throw new FormatException($"'{text}' has an invalid tag '{tag}': up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'.");
        }
        string registry = DockerHub, path = s;
        var slash = s.IndexOf('/');
        if (slash > 0)
        {
            var first = s[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first;
                path = s[(slash + 1)..];
            }
        }
        if (registry is "index.docker.io" or "registry-1.docker.io") registry = DockerHub;
        if (registry == DockerHub && !path.Contains('/')) path = "library/" + path;
        if (path.Length == 0 || path.Split('/').Any(part => !ComponentPattern().IsMatch(part)))
            throw new FormatException($"'{text}' has an invalid repository name '{path}': lowercase letters and digits, separated by '.', '_', '__', '-' or '/'.");
        if (tag is null && digest is null) tag = "latest";
        return new ImageReference(registry, path, tag, digest);
    }

    public static bool IsDigest(string value) => DigestPattern().IsMatch(value);

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex ComponentPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")]
    private static partial Regex DigestPattern();
}
