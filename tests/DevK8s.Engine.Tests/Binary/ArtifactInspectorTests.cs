using DevK8s.Engine.Binary;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// The header reader on real programs compiled by the test. Expected values are what readelf and
/// objdump print for the same builds on this project's machines (Debian 12, gcc 12, glibc 2.36):
/// `readelf -V` of the dynamic build lists libm.so.6 GLIBC_2.2.5 and libc.so.6 GLIBC_2.2.5,
/// GLIBC_2.34 (__libc_start_main moved to 2.34); `objdump -T` of the arc4random build shows
/// arc4random (GLIBC_2.36).
/// </summary>
[Collection(ArtifactCollection.Name)]
public class ArtifactInspectorTests(RealBinaries bins)
{
    [Fact]
    public void Glibc_dynamic_build_names_loader_libraries_and_glibc_version()
    {
        var info = ArtifactInspector.Inspect(bins.GlibcDynamic);
        Assert.Equal(ArtifactFormat.ElfExecutable, info.Format);
        Assert.Equal("x86_64", info.Machine);
        Assert.False(info.IsStatic);
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", info.Interpreter);
        Assert.Equal(["libm.so.6", "libc.so.6"], info.Needed);
        Assert.Equal(new Version(2, 34), info.GlibcNeeded);
        Assert.Equal(Toolchain.Unknown, info.Toolchain);
        Assert.Contains("dynamically linked, loader /lib64/ld-linux-x86-64.so.2", info.Description);
    }

    [Fact]
    public void Highest_glibc_version_wins_over_older_ones_of_the_same_library()
    {
        Assert.Equal(new Version(2, 36), ArtifactInspector.Inspect(bins.Glibc236).GlibcNeeded);
    }

    [Theory]
    [InlineData("glibc-static")]
    [InlineData("glibc-static-pie")]
    [InlineData("musl-static")]
    public void Static_builds_need_no_loader_and_no_libraries(string name)
    {
        var info = ArtifactInspector.Inspect(Path.Combine(bins.Dir, name));
        Assert.Equal(ArtifactFormat.ElfExecutable, info.Format);
        Assert.Equal("x86_64", info.Machine);
        Assert.True(info.IsStatic);
        Assert.Null(info.Interpreter);
        Assert.Empty(info.Needed);
        Assert.Null(info.GlibcNeeded);
        Assert.Contains("statically linked", info.Description);
    }

    [Fact]
    public void Musl_dynamic_build_asks_for_the_musl_loader_and_no_glibc_version()
    {
        var info = ArtifactInspector.Inspect(bins.MuslDynamic);
        Assert.Equal(ArtifactFormat.ElfExecutable, info.Format);
        Assert.Equal("/lib/ld-musl-x86_64.so.1", info.Interpreter);
        Assert.Equal(["libc.so"], info.Needed);
        Assert.Null(info.GlibcNeeded);
    }

    [Fact]
    public void Aarch64_cross_build_reports_its_machine_and_loader()
    {
        var info = ArtifactInspector.Inspect(bins.Aarch64Dynamic);
        Assert.Equal(ArtifactFormat.ElfExecutable, info.Format);
        Assert.Equal("aarch64", info.Machine);
        Assert.Equal("/lib/ld-linux-aarch64.so.1", info.Interpreter);
        Assert.Equal(new Version(2, 34), info.GlibcNeeded);
    }

    [Fact]
    public void Shared_library_is_not_a_program()
    {
        var info = ArtifactInspector.Inspect(bins.SharedLibrary);
        Assert.Equal(ArtifactFormat.ElfSharedLibrary, info.Format);
        Assert.Contains("shared library, not a program", info.Description);
    }

    [Fact]
    public void Windows_apphost_is_a_pe_for_x86_64_from_dotnet()
    {
        Assert.True(File.Exists(RealBinaries.WinApphost), $"{RealBinaries.WinApphost} is restored by the test project's PackageDownload");
        var info = ArtifactInspector.Inspect(RealBinaries.WinApphost);
        Assert.Equal(ArtifactFormat.Pe, info.Format);
        Assert.Equal("x86_64", info.Machine);
        Assert.Equal(Toolchain.DotNet, info.Toolchain);
        Assert.Equal("a Windows PE x86_64 executable", info.Description);
    }

    [Fact]
    public void Linux_apphost_is_recognised_as_dotnet()
    {
        // The SDK's own Linux apphost: the ELF a framework-dependent `dotnet publish -r linux-x64` ships.
        var apphost = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "../../../sdk");
        var template = Directory.GetFiles(apphost, "apphost", SearchOption.AllDirectories).First(p => p.Contains("AppHostTemplate"));
        var info = ArtifactInspector.Inspect(template);
        Assert.Equal(ArtifactFormat.ElfExecutable, info.Format);
        Assert.Equal(Toolchain.DotNet, info.Toolchain);
    }

    [Fact]
    public void Go_and_rust_builds_are_told_apart_for_the_remedy()
    {
        var go = ArtifactInspector.Inspect(bins.GoStatic);
        Assert.Equal(Toolchain.Go, go.Toolchain);
        Assert.True(go.IsStatic);
        Assert.Equal(Toolchain.Rust, ArtifactInspector.Inspect(bins.RustComment).Toolchain);
    }

    [Fact]
    public void Shebang_script_names_its_interpreter_and_a_windows_line_ending()
    {
        var unix = ArtifactInspector.Inspect(bins.Write("run.sh", "#!/usr/bin/env python3\nprint(1)\n"));
        Assert.Equal(ArtifactFormat.Script, unix.Format);
        Assert.Equal("/usr/bin/env", unix.ScriptInterpreter);
        Assert.Equal(["python3"], unix.ScriptArguments);
        Assert.False(unix.ScriptHasCrLf);

        var dos = ArtifactInspector.Inspect(bins.Write("dos.sh", "#!/bin/sh\r\necho hi\r\n"));
        Assert.Equal("/bin/sh", dos.ScriptInterpreter);
        Assert.True(dos.ScriptHasCrLf);
    }

    [Fact]
    public void Mach_o_is_recognised_by_magic()
    {
        // A 64-bit arm64 Mach-O header: magic, cputype 0x0100000c, subtype, MH_EXECUTE, no load commands.
        var header = new byte[] { 0xCF, 0xFA, 0xED, 0xFE, 0x0C, 0x00, 0x00, 0x01, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        var path = Path.Combine(bins.Dir, "mac");
        File.WriteAllBytes(path, header);
        var info = ArtifactInspector.Inspect(path);
        Assert.Equal(ArtifactFormat.MachO, info.Format);
        Assert.Contains("macOS Mach-O", info.Description);
    }

    [Fact]
    public void Text_and_empty_files_are_not_programs()
    {
        Assert.Equal(ArtifactFormat.Unknown, ArtifactInspector.Inspect(bins.Write("notes.txt", "hello\n")).Format);
        Assert.Equal("an empty file", ArtifactInspector.Inspect(bins.Write("empty", "")).Description);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(64)]
    [InlineData(300)]
    [InlineData(2000)]
    [InlineData(9000)]
    public void Truncated_program_is_reported_not_thrown(int length)
    {
        var path = Path.Combine(bins.Dir, $"cut-{length}");
        File.WriteAllBytes(path, File.ReadAllBytes(bins.GlibcDynamic)[..length]);
        var info = ArtifactInspector.Inspect(path);
        // Whatever survives the cut, a dynamic program never turns into a static one or a loader-less one.
        Assert.False(info.Format == ArtifactFormat.ElfExecutable && (info.IsStatic || info.Interpreter != "/lib64/ld-linux-x86-64.so.2"), info.Description);
        if (length <= 64) Assert.Equal("a damaged or truncated ELF file", info.Description);
    }

    [Fact]
    public void Missing_artifact_throws_file_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => ArtifactInspector.Inspect(Path.Combine(bins.Dir, "nope")));
    }
}
