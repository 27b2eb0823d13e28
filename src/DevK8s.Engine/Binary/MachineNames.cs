namespace DevK8s.Engine.Binary;

/// <summary>CPU names as `uname -m` prints them, and which of them run the same binaries.</summary>
public static class MachineNames
{
    /// <summary>The `uname -m` style name for an ELF e_machine.</summary>
    public static string FromElf(ushort eMachine, bool is64, bool bigEndian) => eMachine switch
    {
        62 => "x86_64",
        183 => bigEndian ? "aarch64_be" : "aarch64",
        40 => "arm",
        3 => "i386",
        243 => is64 ? "riscv64" : "riscv32",
        21 => bigEndian ? "ppc64" : "ppc64le",
        20 => "ppc",
        22 => is64 ? "s390x" : "s390",
        8 => is64 ? "mips64" : "mips",
        258 => "loongarch64",
        _ => $"e_machine {eMachine}",
    };

    /// <summary>
    /// One name per instruction set, so "armv7l" (a container's uname) and "arm" (an ELF header)
    /// compare equal, as do i686 and i386, arm64 and aarch64, amd64 and x86_64.
    /// </summary>
    public static string Family(string machine)
    {
        var m = machine.Trim().ToLowerInvariant();
        if (m is "amd64" or "x86-64") return "x86_64";
        if (m is "arm64") return "aarch64";
        if (m.StartsWith("armv8", StringComparison.Ordinal) && m.EndsWith('l')) return "arm"; // a 32-bit userland on a 64-bit core
        if (m.StartsWith("arm", StringComparison.Ordinal) && m != "arm64") return "arm";
        if (m.Length == 4 && m[0] == 'i' && m.EndsWith("86", StringComparison.Ordinal)) return "i386";
        return m;
    }

    /// <summary>The GOARCH for a `uname -m` name, for the Go remedy.</summary>
    public static string GoArch(string machine) => Family(machine) switch
    {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "i386" => "386",
        var f => f,
    };

    /// <summary>The .NET runtime identifier's architecture part (linux-x64, linux-arm64, ...).</summary>
    public static string DotNetArch(string machine) => Family(machine) switch
    {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "i386" => "x86",
        var f => f,
    };

    /// <summary>The first part of a Rust target triple (x86_64-unknown-linux-musl, ...).</summary>
    public static string RustArch(string machine) => Family(machine) switch
    {
        "arm" => "armv7",
        "i386" => "i686",
        "riscv64" => "riscv64gc",
        "ppc64le" => "powerpc64le",
        var f => f,
    };
}
