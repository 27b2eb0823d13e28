using System.Security.AccessControl;
using System.Security.Principal;
using DevK8s.Engine.Local;
using Xunit;
using static DevK8s.Windows.Tests.WindowsTestEnvironment;

namespace DevK8s.Windows.Tests;

/// <summary>The -EnvFile holds Secret values: written outside %TEMP% it must not inherit its folder's ACL.</summary>
public class EnvFileAclTests
{
    [Fact]
    public void The_requested_descriptor_grants_only_the_current_user_and_blocks_inheritance()
    {
        var user = WindowsIdentity.GetCurrent().User!;
        var sddl = WindowsFileAcl.OwnerOnly(user).GetSecurityDescriptorSddlForm(AccessControlSections.Access);
        Assert.Equal($"D:P(A;;FA;;;{user.Value})", sddl);
    }

    [Fact]
    public void An_existing_file_is_replaced_with_the_new_content()
    {
        var dir = FreshFolder("envfile");
        var path = Path.Combine(dir, ".env.devk8s");
        try
        {
            File.WriteAllText(path, "OLD=value-that-is-longer-than-the-new-one\n");
            using (var stream = WindowsFileAcl.CreateOwnerOnly(path))
            using (var writer = new StreamWriter(stream)) writer.Write("DB_PASSWORD=secret\n");
            Assert.Equal("DB_PASSWORD=secret\n", File.ReadAllText(path));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Wine 8 keeps no ACLs on files (it derives one from the Unix mode): real Windows only.</summary>
    [Fact]
    [Trait("Needs", "stored-acls")]
    public void The_env_file_as_stored_grants_only_the_current_user_and_inherits_nothing()
    {
        var dir = FreshFolder("envfile-acl");
        var path = Path.Combine(dir, ".env.devk8s");
        try
        {
            using (var stream = WindowsFileAcl.CreateOwnerOnly(path))
            using (var writer = new StreamWriter(stream)) writer.Write("DB_PASSWORD=secret\n");
            var acl = new FileInfo(path).GetAccessControl();
            var sddl = acl.GetSecurityDescriptorSddlForm(AccessControlSections.Access);
            Assert.True(acl.AreAccessRulesProtected, $"inherited entries are not blocked: {sddl}");
            var rule = Assert.Single(acl.GetAccessRules(true, true, typeof(SecurityIdentifier)).Cast<FileSystemAccessRule>());
            Assert.Equal(WindowsIdentity.GetCurrent().User, rule.IdentityReference);
            Assert.Equal(AccessControlType.Allow, rule.AccessControlType);
            Assert.False(rule.IsInherited);
        }
        finally { Directory.Delete(dir, true); }
    }
}
