namespace DevK8s.Engine.Binary;

/// <summary>Which C library the container has.</summary>
public enum LibcKind
{
    /// <summary>The probe could not tell (it did not run, or found a libc it cannot name).</summary>
    Unknown,
    Glibc,
    Musl,
    /// <summary>No C library at all (busybox-static, distroless/static, scratch with a shell).</summary>
    None,
}

/// <summary>
/// What a container offers a program, from one probe exec (<see cref="ContainerProbe"/>): its CPU
/// (`uname -m`), its C library and version, and which of the asked-for paths, libraries and
/// commands exist. Lookups of names that were not asked for return null ("not probed").
/// </summary>
public sealed record ContainerOffer
{
    public string? Machine { get; init; }
    public LibcKind Libc { get; init; }
    public Version? LibcVersion { get; init; }
    public IReadOnlyDictionary<string, bool> Paths { get; init; } = new Dictionary<string, bool>();
    /// <summary>soname → where it was found, or null when it was looked for and not found.</summary>
    public IReadOnlyDictionary<string, string?> Libraries { get; init; } = new Dictionary<string, string?>();
    /// <summary>command → its path from `command -v`, or null when it is not on PATH.</summary>
    public IReadOnlyDictionary<string, string?> Commands { get; init; } = new Dictionary<string, string?>();

    /// <summary>One line for messages, e.g. "x86_64, glibc 2.36" or "x86_64, no C library".</summary>
    public string Describe()
    {
        var libc = Libc switch
        {
            LibcKind.Glibc => LibcVersion is null ? "glibc" : $"glibc {LibcVersion}",
            LibcKind.Musl => LibcVersion is null ? "musl" : $"musl {LibcVersion}",
            LibcKind.None => "no C library",
            _ => "an unknown C library",
        };
        return $"{Machine ?? "unknown CPU"}, {libc}";
    }
}
