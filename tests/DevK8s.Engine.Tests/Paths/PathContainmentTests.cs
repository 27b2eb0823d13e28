using DevK8s.Engine.Config;
using DevK8s.Engine.Paths;
using Xunit;

namespace DevK8s.Engine.Tests.Paths;

/// <summary>Containment by path segments, with Windows paths checked on any OS through PathFlavor.</summary>
public class PathContainmentTests
{
    private static PathFlavor Flavor(string name) => name switch
    {
        "windows" => PathFlavor.Windows,
        "macos" => PathFlavor.MacOs,
        _ => PathFlavor.Unix,
    };

    [Theory]
    [InlineData("windows", @"P:\", @"P:\src\app.js", true)]        // a project at a drive root
    [InlineData("windows", @"P:\", @"P:\", true)]
    [InlineData("windows", @"P:\", @"Q:\src", false)]
    [InlineData("windows", @"C:\Proj", @"c:\proj\site", true)]      // NTFS ignores case
    [InlineData("windows", @"C:\Proj", @"C:\Project\site", false)]  // a longer name is no child
    [InlineData("windows", @"C:\Proj\", @"C:\Proj", true)]
    [InlineData("windows", @"C:\Proj", @"C:\Proj\..\Other", false)]
    [InlineData("windows", @"\\server\share\proj", @"\\server\share\proj\a", true)]
    [InlineData("windows", @"\\server\share\proj", @"\\server\share\projx", false)]
    [InlineData("windows", @"C:\Proj", @"\\?\C:\Proj\deep\x", true)]
    [InlineData("linux", "/", "/srv/app", true)]
    [InlineData("linux", "/srv/app", "/srv/app2", false)]
    [InlineData("linux", "/srv/app", "/srv/App/x", false)]         // ext4 keeps case
    [InlineData("macos", "/Users/me/App", "/users/me/app/x", true)]
    public void Inside_means_whole_segments_under_the_root(string flavor, string root, string path, bool inside) =>
        Assert.Equal(inside, PathContainment.IsInside(root, path, Flavor(flavor)));

    [Theory]
    // Junctions hold absolute targets, in any of Windows' spellings; inside the tree they become relative links.
    [InlineData("windows", @"P:\", @"P:\site\lib", @"P:\shared\lib", "../shared/lib")]
    [InlineData("windows", @"C:\proj\site", @"C:\proj\site\js\vendor", @"\??\C:\proj\site\third_party\v1", "../third_party/v1")]
    [InlineData("windows", @"C:\proj\site", @"C:\proj\site\current", @"c:\PROJ\site\releases\7", "releases/7")]
    [InlineData("windows", @"C:\proj\site", @"C:\proj\site\a\link", @"..\b\file.txt", "../b/file.txt")]
    [InlineData("windows", @"C:\proj\site", @"C:\proj\site\link", @"C:\Windows\System32", null)]
    [InlineData("windows", @"C:\proj\site", @"C:\proj\site\link", @"D:\proj\site\x", null)]
    [InlineData("windows", @"C:\proj\site", @"C:\proj\site\link", @"..\..\secrets", null)]
    [InlineData("linux", "/proj/site", "/proj/site/inside", "real.txt", "real.txt")]
    [InlineData("linux", "/proj/site", "/proj/site/abs", "/proj/site/real.txt", "real.txt")]
    [InlineData("linux", "/proj/site", "/proj/site/sub/round", "../../site/real.txt", "../real.txt")]
    [InlineData("linux", "/proj/site", "/proj/site/self", ".", ".")]
    [InlineData("linux", "/proj/site", "/proj/site/out", "/etc/passwd", null)]
    [InlineData("linux", "/proj/site", "/proj/site/up", "../../../../..", null)]
    public void Link_targets_inside_the_tree_become_relative_and_others_are_refused(string flavor, string root, string link, string target, string? expected) =>
        Assert.Equal(expected, PathContainment.RelativeLinkTarget(root, link, target, Flavor(flavor)));

    [Fact]
    public void A_project_at_the_file_system_root_accepts_its_own_paths()
    {
        // The Linux twin of a project at P:\: "/" + "/" was no prefix of anything.
        var config = ConfigLoader.Parse("manifests: [tmp]\nservices:\n  api: {}\n", "/devk8s.yaml");
        Assert.Equal(["/tmp"], config.Manifests);
    }
}
