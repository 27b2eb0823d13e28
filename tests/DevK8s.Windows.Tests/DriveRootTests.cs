using DevK8s.Engine.Config;
using DevK8s.Engine.Sync;
using Xunit;
using static DevK8s.Windows.Tests.WindowsTestEnvironment;

namespace DevK8s.Windows.Tests;

/// <summary>A project at the root of a drive (P:\): nothing may "escape the project" by accident.</summary>
public class DriveRootTests
{
    [Fact]
    public void A_project_at_a_drive_root_loads_its_manifests_and_sync_paths()
    {
        var root = DriveRoot();
        Write(Path.Combine(root, "k8s", "web.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
        Write(Path.Combine(root, "site", "index.html"), "<h1>hi</h1>\n");
        var file = Path.Combine(root, "devk8s.yaml");
        File.WriteAllText(file, "manifests: [k8s]\nservices:\n  web:\n    sync:\n      paths: [{from: site, to: /app}]\n");
        try
        {
            var config = ConfigLoader.Load(file);
            Assert.Equal([Path.Combine(root, "k8s")], config.Manifests);
            Assert.Equal(Path.Combine(root, "site"), config.Services.Single().Sync!.Paths.Single().From);
        }
        finally
        {
            File.Delete(file);
            Directory.Delete(Path.Combine(root, "k8s"), true);
            Directory.Delete(Path.Combine(root, "site"), true);
        }
    }

    [Fact]
    public void The_projects_gitignore_applies_to_a_sync_folder_under_a_drive_root()
    {
        var root = DriveRoot();
        var site = Path.Combine(root, "web-" + Guid.NewGuid().ToString("N")[..6]);
        Write(Path.Combine(root, ".gitignore"), "*.log\n");
        try
        {
            Write(Path.Combine(site, "app.js"), "js\n");
            Write(Path.Combine(site, "debug.log"), "log\n");
            var filter = new SyncFilter(site, [], useGitignore: true, root);
            Assert.Equal(["app.js"], LocalTree.Scan(site, filter).Keys);
        }
        finally
        {
            File.Delete(Path.Combine(root, ".gitignore"));
            Directory.Delete(site, true);
        }
    }
}
