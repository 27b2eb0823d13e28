using System.Reflection.PortableExecutable;
using System.Text;

namespace DevK8s.Engine.Binary;

/// <summary>
/// Reads the artifact's header locally, without any external tool: ELF through ELFSharp, PE through
/// System.Reflection.PortableExecutable, Mach-O and #! scripts by their first bytes.
/// </summary>
public static class ArtifactInspector
{
    /// <summary>Inspects the file at <paramref name="path"/>; throws FileNotFoundException when it is absent.</summary>
    public static ArtifactInfo Inspect(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var head = new byte[Math.Min(4096, stream.Length)];
        stream.ReadExactly(head);
        stream.Position = 0;

        if (head.AsSpan().StartsWith("\x7f"u8 + "ELF"u8))
            return ElfInspector.Inspect(stream);
        if (head.AsSpan().StartsWith("MZ"u8))
            return InspectPe(stream);
        if (MachOInspector.HasMagic(head))
            return MachOInspector.Inspect(stream, head);
        if (head.AsSpan().StartsWith("#!"u8))
            return InspectScript(head);
        return new ArtifactInfo
        {
            Format = ArtifactFormat.Unknown,
            Description = head.Length == 0 ? "an empty file" : "not a program (no ELF, PE, Mach-O or #! header)",
        };
    }

    private static ArtifactInfo InspectPe(Stream stream)
    {
        PEHeaders headers;
        try
        {
            using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
            headers = pe.PEHeaders;
        }
        catch (BadImageFormatException)
        {
            return new ArtifactInfo { Format = ArtifactFormat.Pe, Description = "a Windows (MZ) file with a damaged PE header" };
        }
        var machine = headers.CoffHeader.Machine switch
        {
            System.Reflection.PortableExecutable.Machine.Amd64 => "x86_64",
            System.Reflection.PortableExecutable.Machine.Arm64 => "aarch64",
            System.Reflection.PortableExecutable.Machine.I386 => "i386",
            System.Reflection.PortableExecutable.Machine.Arm or System.Reflection.PortableExecutable.Machine.ArmThumb2 => "arm",
            var other => other.ToString(),
        };
        var managed = headers.CorHeader is not null;
        var kind = headers.IsDll ? "DLL" : "executable";
        var toolchain = managed ? Toolchain.DotNet : Toolchain.Unknown;
        if (!managed)
        {
            var rdata = headers.SectionHeaders.Where(s => s.Name is ".rdata" or ".rodata");
            toolchain = ToolchainMarkers.Scan(stream, rdata.Select(s => ((long)s.PointerToRawData, (long)s.SizeOfRawData)));
        }
        return new ArtifactInfo
        {
            Format = ArtifactFormat.Pe,
            Machine = machine,
            Toolchain = toolchain,
            Description = managed ? $"a Windows .NET assembly ({kind})" : $"a Windows PE {machine} {kind}",
        };
    }

    private static ArtifactInfo InspectScript(byte[] head)
    {
        var end = head.AsSpan().IndexOf((byte)'\n');
        var line = Encoding.UTF8.GetString(head, 2, (end < 0 ? head.Length : end) - 2);
        var crlf = line.EndsWith('\r');
        var words = line.TrimEnd('\r').Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var interpreter = words.Length > 0 ? words[0] : null;
        return new ArtifactInfo
        {
            Format = ArtifactFormat.Script,
            ScriptInterpreter = interpreter,
            ScriptArguments = words.Skip(1).ToArray(),
            ScriptHasCrLf = crlf,
            Description = interpreter is null ? "a script with an empty #! line" : $"a script for {string.Join(' ', words)}",
        };
    }
}
