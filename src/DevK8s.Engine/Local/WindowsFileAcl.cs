using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace DevK8s.Engine.Local;

/// <summary>
/// Owner-only files on Windows. A file written outside %TEMP% (an -EnvFile next to the project)
/// otherwise inherits its folder's ACL, which often lets every local user read it, and it holds
/// Secret values.
/// </summary>
[SupportedOSPlatform("windows")]
public static class WindowsFileAcl
{
    /// <summary>
    /// Creates <paramref name="path"/> for writing with a protected DACL that grants only the current
    /// user (nothing inherited), set at creation so no other user can open it in between. An
    /// existing file is deleted first: a handle someone already holds then keeps the old file only.
    /// </summary>
    public static FileStream CreateOwnerOnly(string path)
    {
        var user = WindowsIdentity.GetCurrent().User
            ?? throw new InvalidOperationException("the current Windows user has no security identifier");
        var file = new FileInfo(path);
        if (file.Exists) file.Delete();
        return file.Create(FileMode.CreateNew, FileSystemRights.Write | FileSystemRights.ReadData | FileSystemRights.Synchronize,
            FileShare.None, 4096, FileOptions.None, OwnerOnly(user));
    }

    /// <summary>One entry, full control for <paramref name="user"/>; inherited entries blocked.</summary>
    internal static FileSecurity OwnerOnly(SecurityIdentifier user)
    {
        var security = new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        security.AddAccessRule(new FileSystemAccessRule(user, FileSystemRights.FullControl, AccessControlType.Allow));
        return security;
    }
}
