namespace DevK8s.Engine.Binary;

/// <summary>The ELF part of <see cref="ArtifactInspector"/>: what kind of ELF, for which CPU, needing what.</summary>
internal static class ElfInspector
{
    private const ushort EtExec = 2, EtDyn = 3;
    private const ulong Df1Pie = 0x08000000;

    public static ArtifactInfo Inspect(Stream stream)
    {
        ElfFile elf;
        try { elf = new ElfFile(stream); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or EndOfStreamException or OverflowException)
        {
            return new ArtifactInfo { Format = ArtifactFormat.ElfOther, Description = "a damaged or truncated ELF file" };
        }
        var machine = MachineNames.FromElf(elf.Machine, elf.Is64, elf.BigEndian);
        var bits = elf.Is64 ? "64-bit" : "32-bit";
        // 0 (System V) is what Linux toolchains write; 3 marks GNU extensions. Others are other OSes.
        if (elf.OsAbi is not (0 or 3))
            return new ArtifactInfo { Format = ArtifactFormat.ElfOther, Machine = machine, Description = $"an ELF {bits} {machine} file for {OsAbiName(elf.OsAbi)}, not Linux" };
        if (elf.Type is not (EtExec or EtDyn))
            return new ArtifactInfo { Format = ArtifactFormat.ElfOther, Machine = machine, Description = $"an ELF {bits} {machine} {TypeName(elf.Type)}, not a program" };

        // A PIE is ET_DYN like a library; the loader request or DF_1_PIE (static-pie) tells them apart.
        var isProgram = elf.Type == EtExec || elf.Interpreter is not null || (elf.Flags1 & Df1Pie) != 0;
        Version? glibc = null;
        foreach (var name in elf.VersionsNeeded)
            if (name.StartsWith("GLIBC_", StringComparison.Ordinal) && Version.TryParse(name["GLIBC_".Length..], out var v) && (glibc is null || v > glibc))
                glibc = v;
        var linking = elf.Interpreter is null ? "statically linked" : $"dynamically linked, loader {elf.Interpreter}";
        return new ArtifactInfo
        {
            Format = isProgram ? ArtifactFormat.ElfExecutable : ArtifactFormat.ElfSharedLibrary,
            Machine = machine,
            IsStatic = elf.Interpreter is null,
            Interpreter = elf.Interpreter,
            Needed = elf.Needed,
            RunPath = elf.RunPath,
            GlibcNeeded = glibc,
            Toolchain = ToolchainMarkers.FromElf(elf, stream),
            Description = isProgram ? $"an ELF {bits} {machine} executable, {linking}" : $"an ELF {bits} {machine} shared library, not a program",
        };
    }

    private static string TypeName(ushort type) => type switch { 1 => "object file", 4 => "core dump", _ => $"file of type {type}" };

    private static string OsAbiName(byte abi) => abi switch
    {
        1 => "HP-UX", 2 => "NetBSD", 6 => "Solaris", 7 => "AIX", 8 => "IRIX", 9 => "FreeBSD", 12 => "OpenBSD",
        _ => $"OS ABI {abi}",
    };
}
