using DevK8s.Engine.Binary;
using Xunit;

namespace DevK8s.Engine.Tests.Binary;

/// <summary>The probe script run for real under dash, busybox sh and in chroots shaped like slim images.</summary>
[Collection(ArtifactCollection.Name)]
public class ContainerProbeTests(ShellRoots roots, RealBinaries bins)
{
    private IReadOnlyList<string> DynamicQuestions() =>
        [.. ContainerProbe.Questions(ArtifactInspector.Inspect(bins.GlibcDynamic), "/app/server"), "l:libdevk8s-missing.so.1", "p:/no such/dir", "c:sh", "c:devk8s-no-such-command"];

    private static ContainerOffer RunHere(string shell, IReadOnlyList<string> questions, string? path = null)
    {
        var argv = ContainerProbe.Command(questions);
        return ContainerProbe.Parse(ShellRoots.Run(shell, argv.Skip(1), path));
    }

    private static ContainerOffer RunInRoot(string root, IReadOnlyList<string> questions) =>
        ContainerProbe.Parse(ShellRoots.Run("chroot", [root, .. ContainerProbe.Command(questions)]));

    [Fact]
    public void Script_is_unix_text_whatever_the_checkout_line_endings()
    {
        Assert.DoesNotContain('\r', ContainerProbe.Script);
        Assert.Equal("/bin/sh", ContainerProbe.Command([])[0]);
    }

    [Fact]
    public void Questions_cover_loader_libraries_and_runpath_with_origin_resolved()
    {
        var info = new ArtifactInfo
        {
            Format = ArtifactFormat.ElfExecutable, Description = "x", Interpreter = "/lib64/ld-linux-x86-64.so.2",
            Needed = ["libssl.so.3", "libc.so.6"], RunPath = ["$ORIGIN/../lib", "/opt/x"],
        };
        Assert.Equal(["p:/lib64/ld-linux-x86-64.so.2", "d:/app/bin/../lib", "d:/opt/x", "l:libssl.so.3", "l:libc.so.6"],
            ContainerProbe.Questions(info, "/app/bin/server"));
        var script = new ArtifactInfo { Format = ArtifactFormat.Script, Description = "x", ScriptInterpreter = "/usr/bin/env", ScriptArguments = ["-S", "python3", "-u"] };
        Assert.Equal(["p:/usr/bin/env", "c:python3"], ContainerProbe.Questions(script, "/app/run"));
    }

    [Fact]
    public void Dash_on_a_glibc_system_reports_machine_glibc_and_what_exists()
    {
        var offer = RunHere("/usr/bin/dash", DynamicQuestions());
        Assert.Equal("x86_64", offer.Machine);
        Assert.Equal(LibcKind.Glibc, offer.Libc);
        // The dynamic test build needs GLIBC_2.34 and runs here, so this glibc is at least that.
        Assert.True(offer.LibcVersion >= new Version(2, 34), $"glibc {offer.LibcVersion}");
        Assert.True(offer.Paths["/lib64/ld-linux-x86-64.so.2"]);
        Assert.False(offer.Paths["/no such/dir"]);
        Assert.EndsWith("/libm.so.6", offer.Libraries["libm.so.6"]);
        Assert.EndsWith("/libc.so.6", offer.Libraries["libc.so.6"]);
        Assert.Null(offer.Libraries["libdevk8s-missing.so.1"]);
        Assert.Equal("/bin/sh", offer.Commands["sh"]?.Replace("/usr/bin/sh", "/bin/sh"));
        Assert.Null(offer.Commands["devk8s-no-such-command"]);
    }

    [Fact]
    public void Busybox_without_getconf_or_ldd_reads_the_glibc_version_from_libc_itself()
    {
        var viaGetconf = RunHere("/usr/bin/dash", []);
        var viaLibc = RunHere(Path.Combine(roots.BusyboxApplets(), "sh"), DynamicQuestions(), roots.BusyboxApplets());
        Assert.Equal(LibcKind.Glibc, viaLibc.Libc);
        Assert.Equal(viaGetconf.LibcVersion, viaLibc.LibcVersion);
        Assert.True(viaLibc.Paths["/lib64/ld-linux-x86-64.so.2"]);
        Assert.NotNull(viaLibc.Libraries["libm.so.6"]);
    }

    [Fact]
    public void Busybox_static_image_has_no_c_library_and_no_loader()
    {
        var offer = RunInRoot(roots.BusyboxOnly, DynamicQuestions());
        Assert.Equal("x86_64", offer.Machine);
        Assert.Equal(LibcKind.None, offer.Libc);
        Assert.Null(offer.LibcVersion);
        Assert.False(offer.Paths["/lib64/ld-linux-x86-64.so.2"]);
        Assert.Null(offer.Libraries["libc.so.6"]);
        // busybox sh answers `command -v` for its own applets with the bare name.
        Assert.Equal("sh", offer.Commands["sh"]);
        Assert.Null(offer.Commands["devk8s-no-such-command"]);
        Assert.Equal("x86_64, no C library", offer.Describe());
    }

    [Fact]
    public void Alpine_like_image_reports_musl_and_its_version()
    {
        var offer = RunInRoot(roots.BusyboxMusl, ContainerProbe.Questions(ArtifactInspector.Inspect(bins.MuslDynamic), "/app/server"));
        Assert.Equal(LibcKind.Musl, offer.Libc);
        Assert.NotNull(offer.LibcVersion);
        Assert.True(offer.Paths["/lib/ld-musl-x86_64.so.1"]);
    }

    [Fact]
    public void Parse_reads_a_recorded_answer_and_rejects_cut_or_foreign_output()
    {
        var offer = ContainerProbe.Parse("devk8s-probe 1\nmachine aarch64\nlibc glibc 2.31\npath 0 /lib64/ld-linux-x86-64.so.2\nlib 1 libz.so.1 /usr/lib/aarch64-linux-gnu/libz.so.1\ncmd 0 python3\nend\n");
        Assert.Equal("aarch64", offer.Machine);
        Assert.Equal(new Version(2, 31), offer.LibcVersion);
        Assert.False(offer.Paths["/lib64/ld-linux-x86-64.so.2"]);
        Assert.Equal("/usr/lib/aarch64-linux-gnu/libz.so.1", offer.Libraries["libz.so.1"]);
        Assert.Null(offer.Commands["python3"]);
        Assert.Equal("aarch64, glibc 2.31", offer.Describe());

        Assert.Throws<FormatException>(() => ContainerProbe.Parse("devk8s-probe 1\nmachine x86_64\n"));
        Assert.Throws<FormatException>(() => ContainerProbe.Parse("sh: syntax error\n"));
    }
}
