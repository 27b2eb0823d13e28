using DevK8s.Engine.Binary;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// The engine reads ELF through program headers (what the loader reads); ELFSharp reads the same
/// facts through section headers. Both must agree on every real program the tests build, and on
/// the .NET SDK's Linux apphost.
/// </summary>
[Collection(ArtifactCollection.Name)]
public class ElfReaderAgreementTests(RealBinaries bins)
{
    public static TheoryData<string> Programs => new()
    {
        "glibc-dynamic", "glibc-static", "glibc-static-pie", "glibc-2.36", "libanswer.so", "needs-libanswer",
        "musl-dynamic", "musl-static", "aarch64-dynamic", "go-static", "apphost", "libbig.so",
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void Loader_and_needed_libraries_match_elfsharp(string name)
    {
        var path = name == "apphost" ? Path.Combine(AppContext.BaseDirectory, "apphost-copy") : Path.Combine(bins.Dir, name);
        if (name == "apphost")
            File.Copy(Directory.GetFiles(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "../../../sdk"), "apphost", SearchOption.AllDirectories)
                .First(p => p.Contains("AppHostTemplate")), path, true);
        var ours = ArtifactInspector.Inspect(path);

        using var elf = ELFReader.Load(path);
        var interpreter = elf.Segments.Where(s => s.Type == SegmentType.Interpreter)
            .Select(s => System.Text.Encoding.ASCII.GetString(s.GetFileContents()).TrimEnd('\0')).FirstOrDefault();
        var dynstr = elf.TryGetSection(".dynstr", out var ds) ? (IStringTable)ds : null;
        var needed = elf.GetSections<IDynamicSection>().SelectMany(d => d.Entries).Where(e => e.Tag == DynamicTag.Needed)
            .Select(e => dynstr![(long)(e is DynamicEntry<ulong> x ? x.Value : ((DynamicEntry<uint>)e).Value)]).ToList();

        Assert.Equal(interpreter, ours.Interpreter);
        Assert.Equal(needed, ours.Needed);
        Assert.Equal(interpreter is null, ours.IsStatic);
        Assert.Equal(elf.Machine switch { Machine.AArch64 => "aarch64", Machine.AMD64 => "x86_64", var m => m.ToString() }, ours.Machine);
    }
}
