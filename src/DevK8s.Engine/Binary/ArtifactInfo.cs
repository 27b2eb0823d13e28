namespace DevK8s.Engine.Binary;

/// <summary>What kind of file the artifact is, as far as running it in a Linux container goes.</summary>
public enum ArtifactFormat
{
    /// <summary>A Linux ELF program (fixed-address or PIE, static or dynamic).</summary>
    ElfExecutable,
    /// <summary>An ELF shared library: it has no program to start.</summary>
    ElfSharedLibrary,
    /// <summary>An ELF object file, core dump or an ELF for another OS (FreeBSD, ...).</summary>
    ElfOther,
    /// <summary>A Windows PE file (.exe, .dll).</summary>
    Pe,
    /// <summary>A macOS Mach-O file (thin or universal).</summary>
    MachO,
    /// <summary>A text file starting with #!.</summary>
    Script,
    Unknown,
}

/// <summary>The compiler family that produced the artifact, where it can be told, for the remedy text.</summary>
public enum Toolchain { Unknown, Rust, Go, DotNet }

/// <summary>
/// What the artifact's header says about running it. <see cref="Machine"/> uses `uname -m` names
/// (x86_64, aarch64, arm, i386, riscv64, ...), so it compares directly with the container's.
/// </summary>
public sealed record ArtifactInfo
{
    public required ArtifactFormat Format { get; init; }
    /// <summary>One line for messages, e.g. "ELF 64-bit x86_64 executable, dynamically linked".</summary>
    public required string Description { get; init; }
    public string? Machine { get; init; }
    /// <summary>True when the program needs no loader (static, including static-pie).</summary>
    public bool IsStatic { get; init; }
    /// <summary>PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; null when static.</summary>
    public string? Interpreter { get; init; }
    /// <summary>DT_NEEDED sonames, in file order.</summary>
    public IReadOnlyList<string> Needed { get; init; } = [];
    /// <summary>DT_RUNPATH / DT_RPATH directories, $ORIGIN left as written.</summary>
    public IReadOnlyList<string> RunPath { get; init; } = [];
    /// <summary>The highest GLIBC_x.y symbol version needed (.gnu.version_r), null when none.</summary>
    public Version? GlibcNeeded { get; init; }
    public Toolchain Toolchain { get; init; }
    /// <summary>For a script: the #! program (e.g. /usr/bin/env) and its arguments (e.g. python3).</summary>
    public string? ScriptInterpreter { get; init; }
    public IReadOnlyList<string> ScriptArguments { get; init; } = [];
    /// <summary>The #! line ends in \r\n: Linux then looks for a program named "sh\r".</summary>
    public bool ScriptHasCrLf { get; init; }
}
