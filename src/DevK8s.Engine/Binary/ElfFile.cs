using System.Buffers.Binary;
using System.Text;

namespace DevK8s.Engine.Binary;

/// <summary>
/// The parts of an ELF file the Linux loader reads, found the way the loader finds them: program
/// headers (PT_INTERP, PT_DYNAMIC, PT_LOAD), then the dynamic segment's DT_NEEDED, DT_RUNPATH,
/// DT_FLAGS_1 and DT_VERNEED, with addresses mapped to file offsets through PT_LOAD. Section
/// headers are read only for names (the toolchain guess). Reads a few kilobytes whatever the size:
/// ELFSharp 2.17.3 and LibObjectFile 2.3.1 both parse every symbol table on load (0.9 s and 0.2-0.7 s
/// for a 40 MB Rust binary), which a redeploy cannot afford.
/// </summary>
internal sealed class ElfFile
{
    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;
    private const long DtNull = 0, DtNeeded = 1, DtStrtab = 5, DtStrsz = 10, DtRpath = 15, DtRunpath = 29;
    private const long DtFlags1 = 0x6ffffffb, DtVerneed = 0x6ffffffe, DtVerneednum = 0x6fffffff;
    private const int MaxTable = 1 << 20;

    private readonly Stream _stream;
    private readonly bool _is64;
    private readonly bool _bigEndian;
    private readonly List<(ulong Vaddr, ulong Offset, ulong Size)> _loads = [];

    public ushort Type { get; }
    public ushort Machine { get; }
    public byte OsAbi { get; }
    public bool Is64 => _is64;
    public bool BigEndian => _bigEndian;
    public string? Interpreter { get; }
    public List<string> Needed { get; } = [];
    public List<string> RunPath { get; } = [];
    public ulong Flags1 { get; }
    /// <summary>Every version named in the version needs, e.g. GLIBC_2.34, GLIBCXX_3.4.29.</summary>
    public List<string> VersionsNeeded { get; } = [];
    public List<(string Name, long Offset, long Size)> Sections { get; } = [];

    public ElfFile(Stream stream)
    {
        _stream = stream;
        var h = ReadAt(0, 64);
        if (h.Length < 52) throw new InvalidDataException("truncated ELF header");
        _is64 = h[4] == 2;
        _bigEndian = h[5] == 2;
        OsAbi = h[7];
        Type = U16(h, 16);
        Machine = U16(h, 18);
        var phoff = _is64 ? U64(h, 32) : U32(h, 28);
        var shoff = _is64 ? U64(h, 40) : U32(h, 32);
        int phentsize = U16(h, _is64 ? 54 : 42), phnum = U16(h, _is64 ? 56 : 44);
        int shentsize = U16(h, _is64 ? 58 : 46), shnum = U16(h, _is64 ? 60 : 48), shstrndx = U16(h, _is64 ? 62 : 50);

        (ulong Offset, ulong Size)? dynamic = null;
        var phSize = (long)phentsize * phnum;
        var phdrs = phSize <= MaxTable ? ReadAt((long)phoff, (int)phSize) : [];
        if (phdrs.Length < phSize || phentsize < (_is64 ? 56 : 32))
            throw new InvalidDataException("the program headers lie outside the file");
        for (var i = 0; i + 1 <= phnum && (i + 1) * phentsize <= phdrs.Length; i++)
        {
            var p = phdrs.AsSpan(i * phentsize, phentsize).ToArray();
            var type = U32(p, 0);
            ulong offset = _is64 ? U64(p, 8) : U32(p, 4), vaddr = _is64 ? U64(p, 16) : U32(p, 8), filesz = _is64 ? U64(p, 32) : U32(p, 16);
            if (type == PtLoad) _loads.Add((vaddr, offset, filesz));
            else if (type == PtDynamic) dynamic = (offset, filesz);
            else if (type == PtInterp)
            {
                Interpreter = CString(ReadAt((long)offset, (int)Math.Min(filesz, 4096)), 0);
                if (Interpreter.Length == 0) throw new InvalidDataException("PT_INTERP names no loader or lies outside the file");
            }
        }
        if (dynamic is { } d)
        {
            var entries = ReadDynamic(d.Offset, d.Size);
            var strtab = entries.Where(e => e.Tag == DtStrtab).Select(e => FileOffset(e.Value)).FirstOrDefault();
            var strsz = entries.Where(e => e.Tag == DtStrsz).Select(e => e.Value).FirstOrDefault();
            // Big libraries have megabytes of dynamic strings: read only the names asked for.
            string Str(ulong index) => strtab is { } at && index < strsz
                ? CString(ReadAt((long)(at + index), (int)Math.Min(strsz - index, 4096)), 0)
                : "";
            foreach (var (tag, value) in entries)
            {
                if (tag == DtNeeded) Needed.Add(Str(value));
                else if (tag is DtRunpath or DtRpath) RunPath.AddRange(Str(value).Split(':', StringSplitOptions.RemoveEmptyEntries));
                else if (tag == DtFlags1) Flags1 = value;
            }
            var verneed = entries.Where(e => e.Tag == DtVerneed).Select(e => FileOffset(e.Value)).FirstOrDefault();
            var count = entries.Where(e => e.Tag == DtVerneednum).Select(e => e.Value).FirstOrDefault();
            if (verneed is { } v) ReadVersionNeeds((long)v, (int)Math.Min(count, 4096), Str);
        }
        if (shoff != 0 && shnum > 0 && shentsize >= (_is64 ? 64 : 40)) ReadSectionNames((long)shoff, shentsize, shnum, shstrndx);
    }

    private List<(long Tag, ulong Value)> ReadDynamic(ulong offset, ulong size)
    {
        var entry = _is64 ? 16 : 8;
        var data = ReadAt((long)offset, (int)Math.Min(size, MaxTable));
        if (data.Length < entry) throw new InvalidDataException("the dynamic segment lies outside the file");
        var list = new List<(long, ulong)>();
        for (var at = 0; at + entry <= data.Length; at += entry)
        {
            long tag = _is64 ? (long)U64(data, at) : (int)U32(data, at);
            if (tag == DtNull) break;
            list.Add((tag, _is64 ? U64(data, at + 8) : U32(data, at + 4)));
        }
        return list;
    }

    // Elfxx_Verneed {vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32} and
    // Elfxx_Vernaux {vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32}: one layout for 32 and 64 bit.
    private void ReadVersionNeeds(long offset, int count, Func<ulong, string> str)
    {
        for (var i = 0; i < count; i++)
        {
            var need = ReadAt(offset, 16);
            if (need.Length < 16) return;
            var auxCount = U16(need, 2);
            var aux = offset + U32(need, 8);
            for (var j = 0; j < auxCount; j++)
            {
                var entry = ReadAt(aux, 16);
                if (entry.Length < 16) break;
                VersionsNeeded.Add(str(U32(entry, 8)));
                var nextAux = U32(entry, 12);
                if (nextAux == 0) break;
                aux += nextAux;
            }
            var next = U32(need, 12);
            if (next == 0) return;
            offset += next;
        }
    }

    private void ReadSectionNames(long shoff, int shentsize, int shnum, int shstrndx)
    {
        var table = ReadAt(shoff, (int)Math.Min((long)shentsize * shnum, MaxTable));
        (uint Name, long Offset, long Size) Header(int i)
        {
            var at = i * shentsize;
            return _is64 ? (U32(table, at), (long)U64(table, at + 24), (long)U64(table, at + 32))
                         : (U32(table, at), U32(table, at + 16), U32(table, at + 20));
        }
        var count = table.Length / shentsize;
        if (shstrndx >= count) return;
        var names = Header(shstrndx);
        var strings = ReadAt(names.Offset, (int)Math.Min(names.Size, MaxTable));
        for (var i = 1; i < count; i++)
        {
            var (name, offset, size) = Header(i);
            if (name < strings.Length) Sections.Add((CString(strings, (int)name), offset, size));
        }
    }

    public byte[] ReadSection(string name, int max) =>
        Sections.Where(s => s.Name == name).Select(s => ReadAt(s.Offset, (int)Math.Min(s.Size, max))).FirstOrDefault() ?? [];

    private ulong? FileOffset(ulong vaddr)
    {
        foreach (var (start, offset, size) in _loads)
            if (vaddr >= start && vaddr < start + size) return offset + (vaddr - start);
        return null;
    }

    private byte[] ReadAt(long offset, int count)
    {
        if (offset < 0 || count <= 0 || offset >= _stream.Length) return [];
        var buffer = new byte[(int)Math.Min(count, _stream.Length - offset)];
        _stream.Position = offset;
        _stream.ReadExactly(buffer);
        return buffer;
    }

    private ushort U16(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
    private uint U32(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
    private ulong U64(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));

    private static string CString(byte[] bytes, int start)
    {
        var end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.UTF8.GetString(bytes, start, (end < 0 ? bytes.Length : end) - start);
    }
}
