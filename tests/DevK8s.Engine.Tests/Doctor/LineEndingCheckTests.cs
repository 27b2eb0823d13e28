using DevK8s.Engine.Doctor;
using DevK8s.Engine.Sync;
using Xunit;

namespace DevK8s.Engine.Tests.Doctor;

/// <summary>The doctor's line-ending check against real git checkouts configured as Git for Windows does.</summary>
public class LineEndingCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("devk8s-eol-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private void Git(params string[] args) =>
        Assert.True(GitCli.Run(_dir, ["-c", "user.name=t", "-c", "user.email=t@example.com", .. args]) is (0, _), $"git {string.Join(' ', args)} failed");

    /// <summary>A repository with LF files committed, its checkout then redone under the given config.</summary>
    private void Repository(string autocrlf, string? attributes = null, bool checkOutAgain = true)
    {
        Git("init", "-q");
        Git("config", "core.autocrlf", "false");
        File.WriteAllText(Path.Combine(_dir, "run.sh"), "#!/bin/sh\necho hi\n");
        File.WriteAllText(Path.Combine(_dir, "devk8s.yaml"), "services: {}\n");
        if (attributes is not null) File.WriteAllText(Path.Combine(_dir, ".gitattributes"), attributes);
        Git("add", ".");
        Git("commit", "-q", "-m", "init");
        Git("config", "core.autocrlf", autocrlf);
        if (!checkOutAgain) return;
        foreach (var f in new[] { "run.sh", "devk8s.yaml" }) File.Delete(Path.Combine(_dir, f));
        Git("checkout", "--", ".");
    }

    [Fact]
    public void A_checkout_with_crlf_is_a_warning_naming_files_and_the_fix()
    {
        Repository(autocrlf: "true");
        Assert.Contains("\r\n", File.ReadAllText(Path.Combine(_dir, "run.sh")));
        var result = LineEndingCheck.Run(_dir);
        Assert.Equal(CheckStatus.Warn, result.Status);
        Assert.Contains("2 text file(s) are checked out with CRLF", result.Detail);
        Assert.Contains("run.sh", result.Detail);
        Assert.Contains("eol=lf", result.Fix);
    }

    [Fact]
    public void Autocrlf_that_has_not_converted_anything_yet_is_still_a_warning()
    {
        Repository(autocrlf: "true", checkOutAgain: false);
        var result = LineEndingCheck.Run(_dir);
        Assert.Equal(CheckStatus.Warn, result.Status);
        Assert.Contains("core.autocrlf=true", result.Detail);
    }

    [Fact]
    public void Gitattributes_with_eol_lf_makes_autocrlf_harmless()
    {
        Repository(autocrlf: "true", attributes: "* text=auto eol=lf\n*.cmd text eol=crlf\n");
        Assert.DoesNotContain("\r", File.ReadAllText(Path.Combine(_dir, "run.sh")));
        Assert.Equal(CheckStatus.Pass, LineEndingCheck.Run(_dir).Status);
    }

    [Fact]
    public void A_plain_lf_checkout_and_a_folder_outside_git_pass()
    {
        var outside = LineEndingCheck.Run(_dir);
        Assert.Equal(CheckStatus.Pass, outside.Status);
        Assert.Contains("not a git checkout", outside.Detail);
        Repository(autocrlf: "false");
        Assert.Equal(CheckStatus.Pass, LineEndingCheck.Run(_dir).Status);
    }

    [Fact]
    public void Parses_ls_files_eol_records()
    {
        var files = LineEndingCheck.Parse("i/lf    w/crlf  attr/text=auto eol=lf \tdir with space/a.sh\0i/-text w/-text attr/-text\tlogo.png\0");
        Assert.Equal(("lf", "crlf", "text=auto eol=lf", "dir with space/a.sh"), files[0]);
        Assert.Equal(("-text", "-text", "-text", "logo.png"), files[1]);
    }
}
