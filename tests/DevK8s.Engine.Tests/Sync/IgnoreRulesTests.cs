using DevK8s.Engine.Sync;
using Xunit;

namespace DevK8s.Engine.Tests.Sync;

public class IgnoreRulesTests
{
    [Theory]
    [InlineData("*.pyc", "a/b/c.pyc", false, true)]
    [InlineData("*.pyc", "c.py", false, false)]
    [InlineData("__pycache__/", "pkg/__pycache__", true, true)]
    [InlineData("__pycache__/", "pkg/__pycache__/x.pyc", false, true)]
    [InlineData("__pycache__/", "pkg/__pycache__", false, false)]
    [InlineData("/build", "build/out.o", false, true)]
    [InlineData("/build", "src/build/out.o", false, false)]
    [InlineData("docs/*.md", "docs/a.md", false, true)]
    [InlineData("docs/*.md", "docs/sub/a.md", false, false)]
    [InlineData("docs/**/*.md", "docs/sub/deep/a.md", false, true)]
    [InlineData("**/node_modules", "a/node_modules/x/y.js", false, true)]
    [InlineData("static/**", "static/css/site.css", false, true)]
    [InlineData("static/**", "other/static/site.css", false, false)]
    [InlineData("file?.txt", "file1.txt", false, true)]
    [InlineData("file[0-9].txt", "file7.txt", false, true)]
    [InlineData("file[!0-9].txt", "file7.txt", false, false)]
    [InlineData("\\#hash", "#hash", false, true)]
    [InlineData("# comment", "# comment", false, false)]
    public void Matches_like_gitignore(string pattern, string path, bool isDirectory, bool ignored) =>
        Assert.Equal(ignored, IgnoreRules.Parse([pattern]).IsIgnored(path, isDirectory));

    [Theory]
    [InlineData("secrets/", "Secrets/db.key")]
    [InlineData(".env", ".ENV")]
    [InlineData("*.pem", "certs/KEY.PEM")]
    [InlineData("/Build", "build/out.o")]
    [InlineData("file[a-c].txt", "FILEB.TXT")]
    [InlineData("docs/**/*.md", "Docs/Sub/A.MD")]
    public void Case_is_ignored_only_when_asked(string pattern, string path)
    {
        Assert.True(IgnoreRules.Parse([pattern], ignoreCase: true).IsIgnored(path, false));
        Assert.False(IgnoreRules.Parse([pattern], ignoreCase: false).IsIgnored(path, false));
    }

    [Fact]
    public void By_default_case_is_ignored_on_windows_and_macos_only()
    {
        var caseInsensitiveOs = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();
        Assert.Equal(caseInsensitiveOs, IgnoreRules.DefaultIgnoreCase);
        Assert.Equal(caseInsensitiveOs, IgnoreRules.Parse([".env"]).IsIgnored(".ENV", false));
        Assert.True(IgnoreRules.Parse([".env"]).IsIgnored(".env", false));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_case_insensitive_filter_keeps_differently_cased_secrets_out_of_the_scan(bool ignoreCase)
    {
        var dir = Directory.CreateTempSubdirectory("devk8s-case-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, ".gitignore"), "secrets/\n.env\n");
            Directory.CreateDirectory(Path.Combine(dir, "Secrets"));
            File.WriteAllText(Path.Combine(dir, "Secrets", "db.key"), "k");
            File.WriteAllText(Path.Combine(dir, ".ENV"), "TOKEN=x");
            File.WriteAllText(Path.Combine(dir, "app.js"), "js");
            Directory.CreateDirectory(Path.Combine(dir, ".GIT"));
            var filter = new SyncFilter(dir, ["*.Secret"], useGitignore: true, dir, ignoreCase);
            File.WriteAllText(Path.Combine(dir, "KEY.SECRET"), "s");
            var scanned = LocalTree.Scan(dir, filter).Keys.Order(StringComparer.Ordinal).ToArray();
            string[] expected = ignoreCase
                ? ["app.js"]
                : [".ENV", ".GIT", "KEY.SECRET", "Secrets", "Secrets/db.key", "app.js"];
            Assert.Equal(expected, scanned.Where(p => p != ".gitignore"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Later_rules_win_and_negation_reincludes_but_not_under_an_ignored_folder()
    {
        var rules = IgnoreRules.Parse(["*.log", "!keep.log", "tmp/", "!tmp/important.txt"]);
        Assert.True(rules.IsIgnored("a.log", false));
        Assert.False(rules.IsIgnored("keep.log", false));
        Assert.True(rules.IsIgnored("tmp/important.txt", false));
    }

    [Fact]
    public void Filter_honours_config_excludes_the_project_gitignore_and_never_git()
    {
        var dir = Directory.CreateTempSubdirectory("devk8s-filter-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, ".gitignore"), "*.env\nweb/dist/\n");
            Directory.CreateDirectory(Path.Combine(dir, "web"));
            var filter = new SyncFilter(Path.Combine(dir, "web"), ["*.tmp"], useGitignore: true, dir);
            Assert.True(filter.IsExcluded("prod.env", false));
            Assert.True(filter.IsExcluded("dist/app.js", false));
            Assert.True(filter.IsExcluded("x.tmp", false));
            Assert.True(filter.IsExcluded(".git/config", false));
            Assert.False(filter.IsExcluded("src/app.js", false));
            Assert.False(new SyncFilter(Path.Combine(dir, "web"), [], useGitignore: false, dir).IsExcluded("prod.env", false));
        }
        finally { Directory.Delete(dir, true); }
    }
}
