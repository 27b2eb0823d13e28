using System.Net;
using DevK8s.Engine.DevMode;
using DevK8s.Engine.Exec;
using DevK8s.Engine.Paths;
using Xunit;

namespace DevK8s.Windows.Tests;

public class IdentityAndScriptTests
{
    [Fact]
    public void The_owner_carries_the_full_host_name_not_the_15_character_NetBIOS_name()
    {
        var host = Dns.GetHostName();
        Assert.Equal($"{Environment.UserName}@{host}", OwnerIdentity.Current);
        // tests/windows/run runs under a host name longer than NetBIOS allows, to show the difference.
        if (Environment.GetEnvironmentVariable("DEVK8S_TEST_LONG_HOSTNAME") is { Length: > 0 } expected)
        {
            Assert.Equal(expected, host, ignoreCase: true);
            Assert.True(Environment.MachineName.Length <= 15, $"MachineName '{Environment.MachineName}'");
            Assert.NotEqual(Environment.MachineName, host, StringComparer.OrdinalIgnoreCase);
            Assert.True(OwnerIdentity.IsCurrent($"{Environment.UserName}@{Environment.MachineName}"));
        }
    }

    [Fact]
    public void Scripts_sent_to_containers_have_no_carriage_returns_and_paths_use_windows_rules()
    {
        Assert.All(ContainerScripts.All, s => Assert.DoesNotContain('\r', s.Text));
        Assert.Same(PathFlavor.Windows, PathFlavor.Current);
    }
}
