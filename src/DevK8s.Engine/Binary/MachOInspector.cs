using System.Buffers.Binary;

namespace DevK8s.Engine.Binary;

/// <summary>macOS binaries: recognised by magic so the refusal can say "this is a Mac build", and for which CPU.</summary>
internal static class MachOInspector
{
    private const uint Fat = 0xCAFEBABE, Fat64 = 0xCAFEBABF;

    public static bool HasMagic(ReadOnlySpan<byte> head)
    {
        if (head.Length < 8) return false;
        var magic = BinaryPrimitives.ReadUInt32BigEndian(head);
        if (magic is 0xFEEDFACE or 0xFEEDFACF or 0xCEFAEDFE or 0xCFFAEDFE) return true;
        // A universal binary shares 0xCAFEBABE with Java class files; its second word is a small
        // architecture count where a class file has its version (45 and up).
        return magic is Fat or Fat64 && BinaryPrimitives.ReadUInt32BigEndian(head[4..]) is > 0 and < 20;
    }

    public static ArtifactInfo Inspect(Stream stream, byte[] head)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(head);
        var machines = new List<string>();
        if (magic is Fat or Fat64)
        {
            // fat_header {magic, nfat_arch} then fat_arch entries (20 bytes, 32 for fat_arch_64), big-endian, cputype first.
            var count = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4));
            var size = magic == Fat ? 20 : 32;
            for (var i = 0; i < count && 8 + (i + 1) * size <= head.Length; i++)
                machines.Add(Name(BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(8 + i * size))));
        }
        else
        {
            // mach_header: magic, cputype; FEEDFACx is big-endian, CEFAEDFE/CFFAEDFE little-endian.
            var cpu = magic is 0xFEEDFACE or 0xFEEDFACF ? BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4)) : BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
            machines.Add(Name(cpu));
        }
        return new ArtifactInfo
        {
            Format = ArtifactFormat.MachO,
            Machine = machines.Count == 1 ? machines[0] : null,
            Toolchain = ToolchainMarkers.Scan(stream, [(0, Math.Min(stream.Length, ToolchainMarkers.MaxScan))]),
            Description = $"a macOS Mach-O {string.Join("+", machines)} binary",
        };
    }

    private static string Name(uint cpuType) => cpuType switch
    {
        0x01000007 => "x86_64",
        0x0100000C => "aarch64",
        7 => "i386",
        12 => "arm",
        _ => $"cputype 0x{cpuType:x}",
    };
}
