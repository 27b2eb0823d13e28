using DevK8s.Engine.Sync;
using Xunit;
using static DevK8s.Windows.Tests.WindowsTestEnvironment;

namespace DevK8s.Windows.Tests;

/// <summary>On Windows, "Secrets/" and "secrets/" are one folder: a rule for one keeps both out.</summary>
public class CaseInsensitiveIgnoreTests
{
    [Fact]
    public void Differently_cased_secrets_are_never_scanned_by_default_on_windows()
    {
        var dir = FreshFolder("case");
        try
        {
            Write(Path.Combine(dir, ".gitignore"), "secrets/\n.env\n");
            Write(Path.Combine(dir, "Secrets", "db.key"), "k");
            Write(Path.Combine(dir, ".ENV"), "TOKEN=x");
            Write(Path.Combine(dir, "KEY.SECRET"), "s");
            Write(Path.Combine(dir, "app.js"), "js");
            var filter = new SyncFilter(dir, ["*.secret"], useGitignore: true, dir);
            Assert.Equal(["app.js"], LocalTree.Scan(dir, filter).Keys.Where(k => k != ".gitignore"));
            Assert.True(IgnoreRules.DefaultIgnoreCase);
        }
        finally { Directory.Delete(dir, true); }
    }
}
