namespace DevK8s.Engine.Binary;

/// <summary>Why an artifact cannot run in the container.</summary>
public enum ArtifactProblem
{
    /// <summary>A Windows or macOS binary, a shared library, an ELF for another OS, or not a program.</summary>
    NotLinuxProgram,
    MachineMismatch,
    LoaderMissing,
    GlibcTooOld,
    LibraryMissing,
    ScriptInterpreterMissing,
    /// <summary>The #! line ends in \r (saved on Windows): the kernel looks for "/bin/sh\r".</summary>
    ScriptLineEndings,
}

/// <summary>
/// The artifact check's answer. When <see cref="Ok"/> is false, <see cref="Message"/> names the exact
/// problem and <see cref="Fix"/> the remedy for the toolchain that built it, where that can be told.
/// </summary>
public sealed record ArtifactVerdict(bool Ok, ArtifactProblem? Problem, string Message, string? Fix)
{
    /// <summary>Message and fix in one text, for an error record or a log line.</summary>
    public override string ToString() => Fix is null ? Message : $"{Message} {Fix}";
}
