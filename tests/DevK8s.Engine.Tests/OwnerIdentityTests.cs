using System.Net;
using DevK8s.Engine.DevMode;
using Xunit;

namespace DevK8s.Engine.Tests;

public class OwnerIdentityTests
{
    [Fact]
    public void The_owner_is_the_user_at_the_full_host_name()
    {
        Assert.Equal($"{Environment.UserName}@{Dns.GetHostName()}", OwnerIdentity.Current);
    }

    [Fact]
    public void Sessions_recorded_by_older_versions_or_in_another_case_are_still_ours_and_others_are_not()
    {
        Assert.True(OwnerIdentity.IsCurrent(OwnerIdentity.Current));
        Assert.True(OwnerIdentity.IsCurrent(OwnerIdentity.Current.ToUpperInvariant()));
        Assert.True(OwnerIdentity.IsCurrent($"{Environment.UserName}@{Environment.MachineName}"));
        Assert.False(OwnerIdentity.IsCurrent($"{Environment.UserName}@another-machine"));
        Assert.False(OwnerIdentity.IsCurrent($"someone-else@{Dns.GetHostName()}"));
        Assert.False(OwnerIdentity.IsCurrent(null));
    }
}
