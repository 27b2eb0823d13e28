using DevK8s.Engine.Binary;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>
/// The verdict for real programs against what the probe really found: in a busybox-static chroot
/// (no C library), an Alpine-like chroot (musl), and this Debian machine (glibc). Offers that no
/// local root can show (an older glibc, another CPU) are this machine's probe with one field changed.
/// </summary>
[Collection(ArtifactCollection.Name)]
public class ArtifactCheckTests(ShellRoots roots, RealBinaries bins)
{
    private const string Target = "/app/server";

    private static ArtifactVerdict Check(string artifact, string root)
    {
        var info = ArtifactInspector.Inspect(artifact);
        var argv = ContainerProbe.Command(ContainerProbe.Questions(info, Target));
        var output = root == "/" ? ShellRoots.Run("/bin/sh", argv.Skip(1)) : ShellRoots.Run("chroot", [root, .. argv]);
        return ArtifactCheck.Evaluate(info, ContainerProbe.Parse(output), artifact, Target);
    }

    private static ArtifactVerdict Check(string artifact, Func<ContainerOffer, ContainerOffer> change)
    {
        var info = ArtifactInspector.Inspect(artifact);
        var argv = ContainerProbe.Command(ContainerProbe.Questions(info, Target));
        var offer = change(ContainerProbe.Parse(ShellRoots.Run("/bin/sh", argv.Skip(1))));
        return ArtifactCheck.Evaluate(info, offer, artifact, Target);
    }

    [Fact]
    public void Glibc_dynamic_program_is_refused_in_busybox_with_the_loader_named()
    {
        var verdict = Check(bins.GlibcDynamic, roots.BusyboxOnly);
        Assert.False(verdict.Ok);
        Assert.Equal(ArtifactProblem.LoaderMissing, verdict.Problem);
        Assert.Equal($"{bins.GlibcDynamic} (an ELF 64-bit x86_64 executable, dynamically linked, loader /lib64/ld-linux-x86-64.so.2) cannot run as /app/server " +
                     "in the container (x86_64, no C library): it is dynamically linked and its loader /lib64/ld-linux-x86-64.so.2 does not exist in the container.", verdict.Message);
        Assert.StartsWith("Fix: link it statically (gcc/clang `-static`", verdict.Fix);
    }

    [Theory]
    [InlineData("glibc-static")]
    [InlineData("glibc-static-pie")]
    [InlineData("musl-static")]
    [InlineData("go-static")]
    public void Static_programs_pass_in_busybox(string name)
    {
        var verdict = Check(Path.Combine(bins.Dir, name), roots.BusyboxOnly);
        Assert.True(verdict.Ok, verdict.ToString());
        Assert.EndsWith("fits the container (x86_64, no C library).", verdict.Message);
    }

    [Fact]
    public void Musl_program_passes_in_a_musl_image_and_is_refused_where_its_loader_is_missing()
    {
        Assert.True(Check(bins.MuslDynamic, roots.BusyboxMusl).Ok);
        var verdict = Check(bins.MuslDynamic, roots.BusyboxOnly);
        Assert.Equal(ArtifactProblem.LoaderMissing, verdict.Problem);
        Assert.Contains("its loader /lib/ld-musl-x86_64.so.1 does not exist", verdict.Message);
        var glibcInMusl = Check(bins.GlibcDynamic, roots.BusyboxMusl);
        Assert.Equal(ArtifactProblem.LoaderMissing, glibcInMusl.Problem);
        Assert.Contains("(x86_64, musl 1.2", glibcInMusl.Message);
    }

    [Fact]
    public void Glibc_dynamic_program_passes_on_the_glibc_it_was_built_on()
    {
        var verdict = Check(bins.GlibcDynamic, "/");
        Assert.True(verdict.Ok, verdict.ToString());
    }

    [Fact]
    public void Newer_glibc_than_the_container_has_is_refused_with_both_versions()
    {
        var verdict = Check(bins.Glibc236, offer => offer with { LibcVersion = new Version(2, 31) });
        Assert.Equal(ArtifactProblem.GlibcTooOld, verdict.Problem);
        Assert.EndsWith("it needs GLIBC_2.36 and the container's glibc is 2.31.", verdict.Message);
        Assert.Contains("build on a system whose glibc is 2.31 or older", verdict.Fix);
        Assert.True(Check(bins.Glibc236, offer => offer with { LibcVersion = new Version(2, 36) }).Ok);
    }

    [Fact]
    public void Missing_needed_library_is_named()
    {
        var verdict = Check(bins.NeedsLibanswer, "/");
        Assert.Equal(ArtifactProblem.LibraryMissing, verdict.Problem);
        Assert.Contains("it needs libanswer.so, which the container does not have", verdict.Message);
    }

    [Fact]
    public void Other_cpu_is_refused_with_both_machines()
    {
        var verdict = Check(bins.Aarch64Dynamic, "/");
        Assert.Equal(ArtifactProblem.MachineMismatch, verdict.Problem);
        Assert.EndsWith("it is built for aarch64 and the container's CPU is x86_64.", verdict.Message);
        Assert.Contains("build it for Linux x86_64", verdict.Fix);
    }

    [Fact]
    public void Go_build_for_the_wrong_cpu_gets_the_goarch_remedy()
    {
        var verdict = Check(bins.GoStatic, offer => offer with { Machine = "aarch64" });
        Assert.Equal(ArtifactProblem.MachineMismatch, verdict.Problem);
        Assert.Contains("`CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o <artifact>`", verdict.Fix);
        Assert.Contains("$env:GOARCH='arm64'", verdict.Fix);
    }

    [Fact]
    public void Rust_build_gets_the_musl_target_or_the_pinned_glibc_target()
    {
        var noLibc = Check(bins.RustComment, roots.BusyboxOnly);
        Assert.Equal(ArtifactProblem.LoaderMissing, noLibc.Problem);
        Assert.Contains("`cargo build --release --target x86_64-unknown-linux-musl`", noLibc.Fix);
        var oldGlibc = Check(bins.RustComment, offer => offer with { LibcVersion = new Version(2, 28) });
        Assert.Equal(ArtifactProblem.GlibcTooOld, oldGlibc.Problem);
        Assert.Contains("`cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.28`", oldGlibc.Fix);
    }

    [Fact]
    public void Windows_apphost_is_refused_with_the_dotnet_cross_publish()
    {
        var verdict = Check(RealBinaries.WinApphost, "/");
        Assert.Equal(ArtifactProblem.NotLinuxProgram, verdict.Problem);
        Assert.Contains("it is a Windows binary and the container runs Linux", verdict.Message);
        Assert.Contains("`dotnet publish -c Release -r linux-x64 --self-contained`", verdict.Fix);
        var musl = Check(RealBinaries.WinApphost, roots.BusyboxMusl);
        Assert.Contains("-r linux-musl-x64", musl.Fix);
    }

    [Fact]
    public void Mach_o_and_shared_library_are_not_linux_programs()
    {
        var mac = Path.Combine(bins.Dir, "mac-bin");
        File.WriteAllBytes(mac, [0xCF, 0xFA, 0xED, 0xFE, 0x0C, 0x00, 0x00, 0x01, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var verdict = Check(mac, "/");
        Assert.Equal(ArtifactProblem.NotLinuxProgram, verdict.Problem);
        Assert.Contains("it is a macOS binary", verdict.Message);
        Assert.Contains("build it for Linux x86_64", verdict.Fix);

        var library = Check(bins.SharedLibrary, "/");
        Assert.Equal(ArtifactProblem.NotLinuxProgram, library.Problem);
        Assert.StartsWith("Fix: set `artifact` to the program the build writes", library.Fix);
    }

    [Fact]
    public void Scripts_need_their_interpreter_and_unix_line_endings()
    {
        Assert.True(Check(bins.Write("ok.sh", "#!/bin/sh\necho hi\n"), roots.BusyboxOnly).Ok);

        var bash = Check(bins.Write("b.sh", "#!/bin/bash\necho hi\n"), roots.BusyboxOnly);
        Assert.Equal(ArtifactProblem.ScriptInterpreterMissing, bash.Problem);
        Assert.Contains("its interpreter /bin/bash does not exist in the container", bash.Message);

        var python = Check(bins.Write("p.py", "#!/usr/bin/env devk8s-no-such-python\nprint(1)\n"), "/");
        Assert.Equal(ArtifactProblem.ScriptInterpreterMissing, python.Problem);
        Assert.Contains("runs devk8s-no-such-python through env and the container has no devk8s-no-such-python on PATH", python.Message);

        var dos = Check(bins.Write("dos.sh", "#!/bin/sh\r\necho hi\r\n"), roots.BusyboxOnly);
        Assert.Equal(ArtifactProblem.ScriptLineEndings, dos.Problem);
        Assert.Contains("LF line endings", dos.Fix);
    }
}
