using System.Buffers.Binary;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;

namespace DevK8s.Engine.Binary;

/// <summary>The ELF part of <see cref="ArtifactInspector"/>: program headers, dynamic section, version needs.</summary>
internal static class ElfInspector
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ulong Df1Pie = 0x08000000;

    public static ArtifactInfo Inspect(Stream stream, byte[] head)
    {
        if (head.Length < 20)
            return new ArtifactInfo { Format = ArtifactFormat.ElfOther, Description = "a truncated ELF file" };
        var is64 = head[4] == 2;
        var bigEndian = head[5] == 2;
        var osAbi = head[7];
        var eMachine = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(18)) : BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(18));
        var machine = MachineNames.FromElf(eMachine, is64, bigEndian);

        if (!ELFReader.TryLoad(stream, false, out IELF elf))
            return new ArtifactInfo { Format = ArtifactFormat.ElfOther, Machine = machine, Description = $"an unreadable {machine} ELF file" };
        using (elf)
        {
            var bits = is64 ? "64-bit" : "32-bit";
            // 0 (System V) is what Linux toolchains write; 3 marks GNU extensions. Others are other OSes.
            if (osAbi is not (0 or 3))
                return new ArtifactInfo { Format = ArtifactFormat.ElfOther, Machine = machine, Description = $"an ELF {bits} {machine} file for {OsAbiName(osAbi)}, not Linux" };
            if (elf.Type is not (FileType.Executable or FileType.SharedObject))
                return new ArtifactInfo { Format = ArtifactFormat.ElfOther, Machine = machine, Description = $"an ELF {bits} {machine} {elf.Type.ToString().ToLowerInvariant()} file, not a program" };

            var interpreter = elf.Segments.Where(s => s.Type == SegmentType.Interpreter)
                .Select(s => CString(s.GetFileContents(), 0)).FirstOrDefault();
            var dynstr = elf.TryGetSection(".dynstr", out var ds) ? ds as IStringTable : null;
            var dynamic = elf.GetSections<IDynamicSection>().FirstOrDefault()?.Entries.ToList() ?? [];
            string Str(ulong offset) => dynstr is null ? "" : dynstr[(long)offset];

            var needed = dynamic.Where(e => e.Tag == DynamicTag.Needed).Select(e => Str(Value(e))).ToList();
            var runPath = dynamic.Where(e => e.Tag is DynamicTag.RunPath or DynamicTag.RPath)
                .SelectMany(e => Str(Value(e)).Split(':', StringSplitOptions.RemoveEmptyEntries)).ToList();
            var flags1 = dynamic.Where(e => e.Tag == DynamicTag.Flags1).Select(Value).FirstOrDefault();
            // A PIE is ET_DYN like a library; the loader request or DF_1_PIE (static-pie) tells them apart.
            var isProgram = elf.Type == FileType.Executable || interpreter is not null || (flags1 & Df1Pie) != 0;
            var glibc = dynstr is null ? null : GlibcNeeded(elf, dynstr, bigEndian);
            var toolchain = ToolchainMarkers.FromElf(elf, stream);

            var linking = interpreter is null ? "statically linked" : $"dynamically linked, loader {interpreter}";
            return new ArtifactInfo
            {
                Format = isProgram ? ArtifactFormat.ElfExecutable : ArtifactFormat.ElfSharedLibrary,
                Machine = machine,
                IsStatic = interpreter is null,
                Interpreter = interpreter,
                Needed = needed,
                RunPath = runPath,
                GlibcNeeded = glibc,
                Toolchain = toolchain,
                Description = isProgram
                    ? $"an ELF {bits} {machine} executable, {linking}"
                    : $"an ELF {bits} {machine} shared library, not a program",
            };
        }
    }

    /// <summary>
    /// The highest GLIBC_x.y[.z] among the version needs (.gnu.version_r): Elfxx_Verneed entries, each
    /// with a chain of Elfxx_Vernaux naming a version; both layouts are the same for 32 and 64 bit.
    /// </summary>
    private static Version? GlibcNeeded(IELF elf, IStringTable dynstr, bool bigEndian)
    {
        var section = elf.Sections.FirstOrDefault(s => (uint)s.Type == ShtGnuVerneed);
        if (section is null) return null;
        var data = section.GetContents();
        uint U32(int at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
        ushort U16(int at) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));

        Version? max = null;
        long need = 0;
        for (var guard = 0; guard < 10_000 && need + 16 <= data.Length; guard++)
        {
            var count = U16((int)need + 2);
            long aux = need + U32((int)need + 8);
            for (var i = 0; i < count && aux + 16 <= data.Length; i++)
            {
                var name = dynstr[U32((int)aux + 8)];
                if (name.StartsWith("GLIBC_", StringComparison.Ordinal) && Version.TryParse(name["GLIBC_".Length..], out var v) && (max is null || v > max))
                    max = v;
                var next = U32((int)aux + 12);
                if (next == 0) break;
                aux += next;
            }
            var nextNeed = U32((int)need + 12);
            if (nextNeed == 0) break;
            need += nextNeed;
        }
        return max;
    }

    private static ulong Value(IDynamicEntry e) => e switch
    {
        DynamicEntry<ulong> x => x.Value,
        DynamicEntry<uint> x => x.Value,
        _ => 0,
    };

    internal static string CString(byte[] bytes, int start)
    {
        var end = Array.IndexOf(bytes, (byte)0, start);
        return System.Text.Encoding.UTF8.GetString(bytes, start, (end < 0 ? bytes.Length : end) - start);
    }

    internal static (long Offset, long Size)? Range(ISection section) => section switch
    {
        Section<ulong> s => ((long)s.Offset, (long)s.Size),
        Section<uint> s => (s.Offset, s.Size),
        _ => null,
    };

    private static string OsAbiName(byte abi) => abi switch
    {
        1 => "HP-UX", 2 => "NetBSD", 6 => "Solaris", 7 => "AIX", 8 => "IRIX", 9 => "FreeBSD", 12 => "OpenBSD",
        _ => $"OS ABI {abi}",
    };
}
