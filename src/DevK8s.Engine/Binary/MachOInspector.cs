using ELFSharp.MachO;

namespace DevK8s.Engine.Binary;

/// <summary>macOS binaries: recognised by magic so the refusal can say "this is a Mac build".</summary>
internal static class MachOInspector
{
    public static bool HasMagic(ReadOnlySpan<byte> head)
    {
        if (head.Length < 8) return false;
        var magic = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head);
        if (magic is 0xFEEDFACE or 0xFEEDFACF or 0xCEFAEDFE or 0xCFFAEDFE) return true;
        // A universal binary shares 0xCAFEBABE with Java class files; its second word is a small
        // architecture count where a class file has its version (45 and up).
        return magic == 0xCAFEBABE && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head[4..]) is > 0 and < 20;
    }

    public static ArtifactInfo Inspect(Stream stream, byte[] head)
    {
        var machines = new List<string>();
        try
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head) == 0xCAFEBABE)
            {
                if (MachOReader.TryLoadFat(stream, false, out var slices) == MachOResult.OK)
                    machines.AddRange(slices.Select(s => Name(s.Machine)));
            }
            else if (MachOReader.TryLoad(stream, false, out var macho) == MachOResult.OK)
                machines.Add(Name(macho.Machine));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or NotSupportedException or EndOfStreamException) { }
        stream.Position = 0;
        var what = machines.Count == 0 ? "" : " " + string.Join("+", machines);
        return new ArtifactInfo
        {
            Format = ArtifactFormat.MachO,
            Machine = machines.Count == 1 ? machines[0] : null,
            Toolchain = ToolchainMarkers.Scan(stream, [(0, Math.Min(stream.Length, ToolchainMarkers.MaxScan))]),
            Description = $"a macOS Mach-O{what} binary",
        };
    }

    private static string Name(Machine machine) => machine switch
    {
        Machine.X86_64 => "x86_64",
        Machine.Arm64 => "aarch64",
        Machine.X86 => "i386",
        Machine.Arm => "arm",
        var m => m.ToString(),
    };
}
