using System.Text;

namespace DevK8s.Engine.Binary;

/// <summary>
/// Tells Rust, Go and .NET builds apart for the remedy text. Section names first (cheap and exact),
/// then strings each toolchain's runtime leaves in read-only data: Go's build-info magic, the
/// /rustc/&lt;hash&gt;/ paths of Rust's panic locations, the .NET host's DOTNET_ROOT.
/// </summary>
internal static class ToolchainMarkers
{
    /// <summary>At most this many bytes are scanned: a guess for remedy text must stay cheap.</summary>
    public const long MaxScan = 64L << 20;

    private static readonly (byte[] Bytes, Toolchain Toolchain)[] Markers =
    [
        ("\xff Go buildinf:"u8.ToArray(), Toolchain.Go),
        ("Go build ID: \""u8.ToArray(), Toolchain.Go),
        ("/rustc/"u8.ToArray(), Toolchain.Rust),
        ("RUST_BACKTRACE"u8.ToArray(), Toolchain.Rust),
        ("DOTNET_ROOT"u8.ToArray(), Toolchain.DotNet),
        (Encoding.Unicode.GetBytes("DOTNET_ROOT"), Toolchain.DotNet),
        ("System.Private.CoreLib"u8.ToArray(), Toolchain.DotNet),
    ];

    internal static Toolchain FromElf(ElfFile elf, Stream stream)
    {
        var names = elf.Sections.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        if (names.Contains(".note.go.buildid") || names.Contains(".go.buildinfo") || names.Contains(".gopclntab")) return Toolchain.Go;
        if (names.Contains("__managedcode") || names.Contains(".dotnet_eh_table")) return Toolchain.DotNet;
        if (Encoding.ASCII.GetString(elf.ReadSection(".comment", 64 << 10)).Contains("rustc", StringComparison.Ordinal)) return Toolchain.Rust;
        var readOnly = elf.Sections.Where(s => s.Name is ".rodata" or ".data.rel.ro").Select(s => (s.Offset, s.Size));
        return Scan(stream, readOnly);
    }

    /// <summary>Looks for the markers in the given file ranges, up to <see cref="MaxScan"/> bytes in all.</summary>
    public static Toolchain Scan(Stream stream, IEnumerable<(long Offset, long Size)> ranges)
    {
        const int chunk = 1 << 20;
        var overlap = Markers.Max(m => m.Bytes.Length) - 1;
        var buffer = new byte[chunk + overlap];
        long budget = MaxScan;
        foreach (var (offset, size) in ranges)
        {
            var end = Math.Min(offset + Math.Min(size, budget), stream.Length);
            var kept = 0;
            for (var at = offset; at < end;)
            {
                stream.Position = at;
                var read = stream.Read(buffer, kept, (int)Math.Min(chunk, end - at));
                if (read <= 0) break;
                var window = buffer.AsSpan(0, kept + read);
                foreach (var (bytes, toolchain) in Markers)
                    if (window.IndexOf(bytes) >= 0) return toolchain;
                kept = Math.Min(overlap, window.Length);
                window[^kept..].CopyTo(buffer);
                at += read;
                budget -= read;
            }
            if (budget <= 0) break;
        }
        return Toolchain.Unknown;
    }
}
